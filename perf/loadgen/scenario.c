/*
 * Scenarios: which request goes next and its bytes. The mixes follow the
 * reference suite's k6 scenarios (spec tests.md §5), simplified where noted.
 * Runs on the worker threads; reads only the shared read-only config and the
 * worker's own RNG and connection state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

static const char *const kind_names[LG_KIND_COUNT] = {
	[LG_KIND_GET] = "get",
	[LG_KIND_LIST] = "list",
	[LG_KIND_CLAIM] = "claim",
	[LG_KIND_INITIALIZE] = "initialize",
	[LG_KIND_SET_ACTIVE] = "set_active",
	[LG_KIND_RANDOM_SELECT] = "random_select",
	[LG_KIND_BATCH_SELECT] = "batch_select",
	[LG_KIND_LOGIN] = "login_event",
	[LG_KIND_STAT] = "stat_event",
};

static const struct {
	const char *name;
	enum lg_scenario id;
} scenarios[] = {
	{ "get", LG_SC_GET },
	{ "list", LG_SC_LIST },
	{ "api-mix", LG_SC_API_MIX },
	{ "initialize", LG_SC_INITIALIZE },
	{ "set-active", LG_SC_SET_ACTIVE },
	{ "events", LG_SC_EVENTS },
	{ "sessions", LG_SC_SESSIONS },
};

/* The suite's event mix draws the stat code uniformly from these. */
static const char *const stat_codes[] = {
	"enemy_kills", "login_count", "games_played", "headshots", "wins",
};

int lg_scenario_parse(const char *name, enum lg_scenario *out)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (strcmp(name, scenarios[i].name) == 0) {
			*out = scenarios[i].id;
			return 0;
		}
	}
	return -EINVAL;
}

const char *lg_kind_name(enum lg_kind kind)
{
	return kind_names[kind];
}

bool lg_kind_ok(enum lg_kind kind, int st)
{
	switch (kind) {
	case LG_KIND_GET:
		return st >= 200 && st < 300;
	case LG_KIND_CLAIM:
		/* A claim of a goal the user has not completed (400) or already
		 * claimed (409) is the service answering correctly. */
		return st == 200 || st == 400 || st == 409;
	case LG_KIND_LOGIN:
	case LG_KIND_STAT:
		return st == LG_ST_GRPC;
	default:
		return st == 200;
	}
}

static uint32_t any_user(struct lg_worker *w)
{
	return lg_rng_below(&w->rng, w->cfg->users);
}

/*
 * Scenario 4, simplified: initialize, list, select (60 % random-select of 5,
 * 40 % batch-select of three), list, then 30 % of the time a claim; each
 * pass takes a fresh user. The think times between steps are --think.
 */
static enum lg_kind session_step(struct lg_worker *w, struct lg_session *s)
{
	enum lg_kind k;

	if (s->step == 0)
		s->user = any_user(w);
	switch (s->step) {
	case 0:
		k = LG_KIND_INITIALIZE;
		break;
	case 1:
	case 3:
		k = LG_KIND_LIST;
		break;
	case 2:
		k = lg_rng_below(&w->rng, 100) < 60 ? LG_KIND_RANDOM_SELECT : LG_KIND_BATCH_SELECT;
		break;
	default:
		k = LG_KIND_CLAIM;
		break;
	}
	s->step++;
	if (s->step == 4 && lg_rng_below(&w->rng, 100) >= 30)
		s->step = 0;
	else if (s->step > 4)
		s->step = 0;
	return k;
}

void lg_scenario_pick(struct lg_worker *w, struct lg_conn *c, struct lg_pick *p)
{
	const struct lg_config *cfg = w->cfg;

	p->user = 0;
	p->goal = 0;
	p->flag = false;
	switch (cfg->scenario) {
	case LG_SC_GET:
		p->kind = LG_KIND_GET;
		return;
	case LG_SC_LIST:
		p->kind = LG_KIND_LIST;
		break;
	case LG_SC_API_MIX:
		p->kind = lg_rng_below(&w->rng, 100) < 80 ? LG_KIND_LIST : LG_KIND_CLAIM;
		break;
	case LG_SC_INITIALIZE:
		p->kind = LG_KIND_INITIALIZE;
		break;
	case LG_SC_SET_ACTIVE:
		p->kind = LG_KIND_SET_ACTIVE;
		p->goal = lg_rng_below(&w->rng, (uint32_t)cfg->goal_count);
		p->flag = lg_rng_below(&w->rng, 2);
		break;
	case LG_SC_EVENTS:
		p->kind = lg_rng_below(&w->rng, 100) < 20 ? LG_KIND_LOGIN : LG_KIND_STAT;
		break;
	case LG_SC_SESSIONS:
		p->kind = session_step(w, &c->sess);
		p->user = c->sess.user;
		return;
	}
	p->user = any_user(w);
}

static void put_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* Method, then the path pieces after the base (NULL-terminated), then Host. */
static void request_line(const struct lg_config *cfg, struct buf *out, const char *method, ...)
{
	const char *piece;
	va_list ap;

	put_str(out, method);
	buf_append_char(out, ' ');
	put_str(out, cfg->base);
	va_start(ap, method);
	while ((piece = va_arg(ap, const char *)) != NULL)
		put_str(out, piece);
	va_end(ap);
	put_str(out, " HTTP/1.1\r\nHost: ");
	put_str(out, cfg->authority);
	put_str(out, "\r\n");
}

static void headers_end(const struct lg_config *cfg, const struct lg_pick *p, struct buf *out,
			const char *body)
{
	if (cfg->auth_lines)
		buf_append(out, cfg->auth_lines[p->user], cfg->auth_line_lens[p->user]);
	buf_append(out, cfg->extra_headers.data, cfg->extra_headers.len);
	if (!body) {
		put_str(out, "\r\n");
		return;
	}
	put_str(out, "Content-Type: application/json\r\nContent-Length: ");
	buf_append_u64(out, strlen(body));
	put_str(out, "\r\n\r\n");
	put_str(out, body);
}

void lg_scenario_http(const struct lg_config *cfg, const struct lg_pick *p, struct buf *out)
{
	const struct lg_goal_ref *g;
	const char *ch = cfg->session_challenge;

	switch (p->kind) {
	case LG_KIND_LIST:
		request_line(cfg, out, "GET", "/v1/challenges", NULL);
		headers_end(cfg, p, out, NULL);
		break;
	case LG_KIND_CLAIM:
		/* No body, as the suite's scripts send it. */
		request_line(cfg, out, "POST", "/v1/challenges/", cfg->claim_challenge, "/goals/",
			     cfg->claim_goal, "/claim", NULL);
		headers_end(cfg, p, out, "");
		break;
	case LG_KIND_INITIALIZE:
		request_line(cfg, out, "POST", "/v1/challenges/initialize", NULL);
		headers_end(cfg, p, out, "{}");
		break;
	case LG_KIND_SET_ACTIVE:
		g = &cfg->goals[p->goal];
		request_line(cfg, out, "PUT", "/v1/challenges/", g->challenge, "/goals/", g->goal,
			     "/active", NULL);
		headers_end(cfg, p, out, p->flag ? "{\"is_active\":true}" : "{\"is_active\":false}");
		break;
	case LG_KIND_RANDOM_SELECT:
		request_line(cfg, out, "POST", "/v1/challenges/", ch, "/goals/random-select", NULL);
		headers_end(cfg, p, out,
			    "{\"count\":5,\"replace_existing\":false,\"exclude_active\":true}");
		break;
	case LG_KIND_BATCH_SELECT:
		request_line(cfg, out, "POST", "/v1/challenges/", ch, "/goals/batch-select", NULL);
		headers_end(cfg, p, out,
			    "{\"goal_ids\":[\"daily-login\",\"daily-10-kills\",\"daily-3-matches\"],"
			    "\"replace_existing\":false}");
		break;
	default:
		buf_append(out, cfg->get_request.data, cfg->get_request.len);
		break;
	}
}

int lg_scenario_grpc(struct lg_worker *w, const struct lg_pick *p, struct lg_stream *s)
{
	const struct lg_config *cfg = w->cfg;
	char id[48];
	int n;

	snprintf(id, sizeof(id), "lg-%u-%llu", w->index, (unsigned long long)++w->seq);
	if (p->kind == LG_KIND_LOGIN) {
		s->path = LG_GRPC_LOGIN_PATH;
		n = lg_pb_login(s->body, sizeof(s->body), id, cfg->ns, cfg->user_ids[p->user]);
	} else {
		s->path = LG_GRPC_STAT_PATH;
		n = lg_pb_stat(s->body, sizeof(s->body), id, cfg->ns, cfg->user_ids[p->user],
			       stat_codes[lg_rng_below(&w->rng, 5)],
			       (double)lg_rng_below(&w->rng, 1000));
	}
	if (n < 0)
		return n;
	s->body_len = (uint32_t)n;
	s->body_off = 0;
	return 0;
}
