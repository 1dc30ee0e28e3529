/*
 * AGS Platform reward grants without I/O: the request, the pre-checks, the
 * error kinds and the nested retry schedule of rewards.md §2-§4. The texts
 * mirror the reference's Go error chains (fmt.Errorf("...: %w", err)), and
 * classification looks through the chain as errors.As does: by the status
 * of a typed AGS error when there is one under the wrapping, else by the
 * whole message.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "challenged/json.h"
#include "ags_policy.h"

#define ROUTE_ITEM "/platform/admin/namespaces/{namespace}/users/{userId}/entitlements"
#define ROUTE_WALLET \
	"/platform/admin/namespaces/{namespace}/users/{userId}/wallets/{currencyCode}/credit"

/* What Go's context.DeadlineExceeded prints; the reference wraps it. */
#define CTX_ERR "context deadline exceeded"

/*
 * Go's url.PathEscape: unreserved bytes and the sub-delimiters a path
 * segment may hold ($ & + : = @) stay, everything else (/ ; , ? included)
 * becomes %XX with upper-case hex.
 */
static bool segment_keeps(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-_.~$&+:=@", c) != NULL;
}

static void path_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (segment_keeps(*p)) {
			buf_append_char(b, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_append(b, e, sizeof(e));
		}
	}
}

static void path_prefix(struct buf *b, const char *base_path, const char *ns, const char *user)
{
	size_t n = base_path ? strlen(base_path) : 0;

	/* path.Join in the SDK drops the base path's trailing slash. */
	while (n > 0 && base_path[n - 1] == '/')
		n--;
	buf_append(b, base_path, n);
	buf_append_str(b, "/platform/admin/namespaces/");
	path_escape(b, ns);
	buf_append_str(b, "/users/");
	path_escape(b, user);
}

int client_ags_call_build(struct client_ags_call *c, const char *base_path,
			  const char *namespace_, const char *user_id,
			  const struct dom_goal *goal, char *why_buf, size_t why_len)
{
	const char *id = goal->reward_id;
	int64_t q = goal->reward_quantity;

	buf_init(&c->path);
	buf_init(&c->body);
	c->method = NULL;
	c->route = NULL;
	switch (goal->reward_type) {
	case DOM_REWARD_ITEM:
		if (q < 0 || q > INT32_MAX) {
			snprintf(why_buf, why_len,
				 "bad request: quantity %lld out of range for int32", (long long)q);
			return -EINVAL;
		}
		c->method = "POST";
		c->route = ROUTE_ITEM;
		path_prefix(&c->path, base_path, namespace_, user_id);
		buf_append_str(&c->path, "/entitlements");
		buf_append_str(&c->body, "[{\"itemId\":");
		json_write_string(&c->body, id, strlen(id));
		buf_append_str(&c->body, ",\"itemNamespace\":");
		json_write_string(&c->body, namespace_, strlen(namespace_));
		buf_append_str(&c->body, ",\"quantity\":");
		json_write_i64(&c->body, q);
		buf_append_str(&c->body, "}]");
		break;
	case DOM_REWARD_WALLET:
		if (q < 0) {
			snprintf(why_buf, why_len, "bad request: amount %lld cannot be negative",
				 (long long)q);
			return -EINVAL;
		}
		c->method = "PUT";
		c->route = ROUTE_WALLET;
		path_prefix(&c->path, base_path, namespace_, user_id);
		buf_append_str(&c->path, "/wallets/");
		path_escape(&c->path, id);
		buf_append_str(&c->path, "/credit");
		buf_append_str(&c->body, "{\"amount\":");
		json_write_i64(&c->body, q);
		buf_append_char(&c->body, '}');
		break;
	default:
		snprintf(why_buf, why_len, "unsupported reward type: %d", (int)goal->reward_type);
		return -EINVAL;
	}
	return c->path.failed || c->body.failed ? -ENOMEM : 0;
}

void client_ags_call_fini(struct client_ags_call *c)
{
	buf_fini(&c->path);
	buf_fini(&c->body);
}

/* dst = prefix + src, cut to len; src may be dst itself. */
static void wrap(char *dst, size_t len, const char *prefix, const char *src)
{
	size_t p = strlen(prefix), n = strlen(src);

	if (p > len - 1)
		p = len - 1;
	if (n > len - 1 - p)
		n = len - 1 - p;
	memmove(dst + p, src, n);
	memcpy(dst, prefix, p);
	dst[p + n] = '\0';
}

void client_ags_error_http(struct client_ags_error *e, const struct client_ags_call *c,
			   int status, const char *body, size_t body_len)
{
	size_t cap = sizeof(e->text), n;
	int w;

	e->status = status;
	w = snprintf(e->text, cap, "[%s %s][%d] ", c->method ? c->method : "?",
		     c->route ? c->route : "?", status);
	n = w < 0 ? 0 : (size_t)w >= cap ? cap - 1 : (size_t)w;
	for (size_t i = 0; i < body_len && n < cap - 1; i++) {
		unsigned char ch = (unsigned char)body[i];

		e->text[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	e->text[n] = '\0';
}

void client_ags_error_transport(struct client_ags_error *e, const char *text)
{
	e->status = 0;
	wrap(e->text, sizeof(e->text), "", text ? text : "");
}

/* The reference's fallback: the first "[ddd]" in the SDK's text. */
static int bracket_status(const char *s)
{
	for (; (s = strchr(s, '[')) != NULL; s++) {
		if (s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
		    s[3] >= '0' && s[3] <= '9' && s[4] == ']')
			return (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	}
	return -1;
}

int client_ags_error_status(const struct client_ags_error *e)
{
	return e->status > 0 ? e->status : bracket_status(e->text);
}

bool client_ags_status_retryable(int status)
{
	switch (status) {
	case 400: case 401: case 403: case 404: case 409: case 422:
		return false;
	case 408: case 429: case 500: case 502: case 503: case 504:
		return true;
	default:
		return status < 400 || status > 499;
	}
}

/*
 * Case-insensitive substring; the patterns are lower-case ASCII. ASCII
 * folding matches Go's strings.ToLower here: the only non-ASCII runes that
 * lower to ASCII are U+212A (to 'k', in no pattern) and U+0130 (to "i"
 * plus a combining dot, which breaks any match).
 */
static bool contains_fold(const char *s, const char *pat)
{
	size_t m = strlen(pat);

	for (; *s; s++) {
		size_t i = 0;

		while (i < m && s[i] && (s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) == pat[i])
			i++;
		if (i == m)
			return true;
	}
	return false;
}

bool client_ags_text_retryable(const char *text)
{
	static const char *const client_errors[] = {
		"bad request", "invalid argument", "not found", "forbidden", "unauthorized",
		"authentication failed", "permission denied", "invalid item",
		"invalid currency", "item not found", "currency not found",
	};

	for (size_t i = 0; i < sizeof(client_errors) / sizeof(client_errors[0]); i++)
		if (contains_fold(text, client_errors[i]))
			return false;
	return true;
}

bool client_ags_retryable(const struct client_ags_error *e)
{
	int status = client_ags_error_status(e);

	/* The "failed to ..." prefix of a status-less error names no pattern. */
	return status >= 0 ? client_ags_status_retryable(status)
			   : client_ags_text_retryable(e->text);
}

void client_ags_error_describe(const struct client_ags_error *e, enum dom_reward_type type,
			       char *out, size_t len)
{
	const char *prefix;

	switch (client_ags_error_status(e)) {
	case -1:
		prefix = type == DOM_REWARD_WALLET ? "failed to credit wallet: "
						   : "failed to grant item reward: ";
		break;
	case 400: prefix = "bad request: "; break;
	case 401: prefix = "authentication failed: "; break;
	case 403: prefix = "forbidden: "; break;
	case 404: prefix = "resource not found: "; break;
	default: prefix = ""; break;
	}
	wrap(out, len, prefix, e->text);
}

/* Both layers: 500 ms after the first failure, doubling, at most 2 s. */
static uint64_t backoff_ms(unsigned failures)
{
	uint64_t d = (uint64_t)CLIENT_AGS_BACKOFF_MS << (failures - 1);

	return d > CLIENT_AGS_BACKOFF_MAX_MS ? CLIENT_AGS_BACKOFF_MAX_MS : d;
}

/* A wait that would pass the deadline ends at it (now < deadline). */
static uint64_t cut(uint64_t delay, uint64_t now, uint64_t deadline)
{
	return delay > deadline - now ? deadline - now : delay;
}

static enum client_ags_step fail(struct client_ags_retry *r, const char *prefix, const char *err)
{
	wrap(r->why, sizeof(r->why), prefix, err);
	r->phase = CLIENT_AGS_PHASE_DONE;
	return CLIENT_AGS_FAILED;
}

/* status: of the typed AGS error under the inner error, -1 when none. */
static void inner_fail(struct client_ags_retry *r, const char *prefix, const char *err,
		       int status)
{
	wrap(r->inner, sizeof(r->inner), prefix, err);
	r->inner_status = status;
}

/* The outer layer (grantRewardWithRetry) after an inner call failed. */
static enum client_ags_step outer_next(struct client_ags_retry *r, uint64_t now,
				       uint64_t *wait_ms)
{
	bool retry = r->inner_status >= 0 ? client_ags_status_retryable(r->inner_status)
					  : client_ags_text_retryable(r->inner);

	if (!retry)
		return fail(r, "reward grant failed (non-retryable): ", r->inner);
	if (r->calls >= CLIENT_AGS_CALLS)
		return fail(r, "reward grant failed after 3 retries: ", r->inner);
	if (now >= r->claim_deadline_ms)
		return fail(r, "context cancelled during retry: ", CTX_ERR);
	r->phase = CLIENT_AGS_PHASE_OUTER_WAIT;
	*wait_ms = cut(backoff_ms(r->calls), now, r->claim_deadline_ms);
	return CLIENT_AGS_WAIT;
}

/* The inner layer's check before each attempt. */
static enum client_ags_step begin_attempt(struct client_ags_retry *r, uint64_t now,
					  uint64_t *wait_ms)
{
	if (now >= r->inner_deadline_ms) {
		inner_fail(r, "context cancelled: ", CTX_ERR, -1);
		return outer_next(r, now, wait_ms);
	}
	r->attempts++;
	r->call_attempts++;
	r->phase = CLIENT_AGS_PHASE_ATTEMPT;
	return CLIENT_AGS_ATTEMPT;
}

static enum client_ags_step begin_call(struct client_ags_retry *r, uint64_t now,
				       uint64_t *wait_ms)
{
	uint64_t d = now + CLIENT_AGS_INNER_TIMEOUT_MS;

	r->calls++;
	r->call_attempts = 0;
	r->inner_deadline_ms = d < now || d > r->claim_deadline_ms ? r->claim_deadline_ms : d;
	if (r->local) {
		/* The pre-check runs before the inner layer, unwrapped. */
		inner_fail(r, "", r->local_why, -1);
		return outer_next(r, now, wait_ms);
	}
	return begin_attempt(r, now, wait_ms);
}

static void retry_init(struct client_ags_retry *r, enum dom_reward_type type,
		       uint64_t claim_deadline_ms, const char *local_why)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	if (local_why) {
		r->local = true;
		wrap(r->local_why, sizeof(r->local_why), "", local_why);
	}
	r->claim_deadline_ms = claim_deadline_ms;
	r->inner_status = -1;
}

enum client_ags_step client_ags_retry_start(struct client_ags_retry *r,
					    enum dom_reward_type type, uint64_t now_ms,
					    uint64_t claim_deadline_ms)
{
	uint64_t unused = 0;

	retry_init(r, type, claim_deadline_ms, NULL);
	/* Only ATTEMPT or FAILED: the inner deadline is the claim's if passed. */
	return begin_call(r, now_ms, &unused);
}

enum client_ags_step client_ags_retry_start_local(struct client_ags_retry *r,
						  const char *why, uint64_t now_ms,
						  uint64_t claim_deadline_ms,
						  uint64_t *wait_ms)
{
	retry_init(r, DOM_REWARD_ITEM, claim_deadline_ms, why);
	return begin_call(r, now_ms, wait_ms);
}

uint64_t client_ags_retry_budget_ms(const struct client_ags_retry *r, uint64_t now_ms)
{
	return r->inner_deadline_ms > now_ms ? r->inner_deadline_ms - now_ms : 0;
}

enum client_ags_step client_ags_retry_after(struct client_ags_retry *r, uint64_t now_ms,
					    const struct client_ags_error *e,
					    uint64_t *wait_ms)
{
	int status;

	assert(r->phase == CLIENT_AGS_PHASE_ATTEMPT);
	if (!e) {
		r->phase = CLIENT_AGS_PHASE_DONE;
		return CLIENT_AGS_SUCCEEDED;
	}
	client_ags_error_describe(e, r->type, r->last, sizeof(r->last));
	status = client_ags_error_status(e);
	if (status >= 0 ? !client_ags_status_retryable(status)
			: !client_ags_text_retryable(r->last)) {
		inner_fail(r, "non-retryable error: ", r->last, status);
		return outer_next(r, now_ms, wait_ms);
	}
	if (r->call_attempts >= CLIENT_AGS_ATTEMPTS) {
		inner_fail(r, "failed after 4 attempts: ", r->last, status);
		return outer_next(r, now_ms, wait_ms);
	}
	if (now_ms >= r->inner_deadline_ms) {
		/* Go's select sees the closed Done channel before the timer. */
		inner_fail(r, "timeout during retry backoff: ", CTX_ERR, -1);
		return outer_next(r, now_ms, wait_ms);
	}
	r->phase = CLIENT_AGS_PHASE_INNER_WAIT;
	*wait_ms = cut(backoff_ms(r->call_attempts), now_ms, r->inner_deadline_ms);
	return CLIENT_AGS_WAIT;
}

enum client_ags_step client_ags_retry_resume(struct client_ags_retry *r, uint64_t now_ms,
					     uint64_t *wait_ms)
{
	switch (r->phase) {
	case CLIENT_AGS_PHASE_INNER_WAIT:
		if (now_ms >= r->inner_deadline_ms) {
			inner_fail(r, "timeout during retry backoff: ", CTX_ERR, -1);
			return outer_next(r, now_ms, wait_ms);
		}
		return begin_attempt(r, now_ms, wait_ms);
	case CLIENT_AGS_PHASE_OUTER_WAIT:
		if (now_ms >= r->claim_deadline_ms)
			return fail(r, "context cancelled during retry: ", CTX_ERR);
		return begin_call(r, now_ms, wait_ms);
	default:
		assert(!"client_ags_retry_resume outside a wait");
		return fail(r, "", "internal error: no wait to resume");
	}
}

const char *client_ags_retry_why(const struct client_ags_retry *r)
{
	return r->why;
}

const char *client_ags_retry_last_error(const struct client_ags_retry *r)
{
	return r->last;
}

unsigned client_ags_retry_attempts(const struct client_ags_retry *r)
{
	return r->attempts;
}
