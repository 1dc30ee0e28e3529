/*
 * The ring HTTP/1.1 client on a real one-shard runtime against a scripted
 * plain-TCP server on 127.0.0.1 in a thread of this test. The server takes
 * one connection at a time and answers the requests it reads, in order, as
 * the case's script says; what it saw is checked once it stopped. Each case
 * starts a fresh runtime, drives the client from the shard (calls that must
 * follow a callback go through the shard's mailbox, after the callback
 * returned) and stops the runtime from the callback that ends it. For
 * https:// the server speaks TLS through BearSSL's blocking sslio wrapper
 * with the fixtures of tests/unit/tls.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "http_client.h"

#define MAX_STEPS 8
#define MAX_REQS 16
#define MAX_CALLS 4
#define BIG_BODY 4096

/* ---- the scripted server --------------------------------------------- */

enum after {
	KEEP,  /* read the next request on this connection */
	CLOSE, /* close the connection, accept the next one */
	HANG,  /* keep the connection open until the client closes it */
};

/* What to do with one request; requests are numbered across connections. */
struct step {
	const char *resp;   /* NULL: answer nothing */
	size_t resp_len;    /* 0: strlen(resp) */
	enum after after;
	unsigned delay_ms;  /* before answering */
};

static struct {
	int listen_fd, stop_fd;
	uint16_t port;
	pthread_t thread;
	const struct step *script;
	struct tls_srv *tls;    /* NULL: plain TCP */
	/* Written by the server thread; read by the main thread after the join,
	 * except n_reqs, under shared.lock. */
	unsigned accepts;
	unsigned n_reqs;
	char *reqs[MAX_REQS];
	size_t req_len[MAX_REQS];
	unsigned req_conn[MAX_REQS]; /* 1-based accept number */
} srv;

/* Shared by the shard, the server and the main thread. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool finished;
} shared = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };

/* Waits for fd to become readable; false once the server is told to stop. */
static bool wait_readable(int fd, int timeout_ms)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { srv.stop_fd, POLLIN, 0 } };
	for (;;) {
		int n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0);
		if (p[fd >= 0 ? 1 : 0].revents)
			return false;
		return n > 0;
	}
}

static bool stop_wait(unsigned ms)
{
	struct pollfd p = { srv.stop_fd, POLLIN, 0 };
	return poll(&p, 1, (int)ms) == 0;
}

/* ---- TLS for the server: fixtures and the blocking sslio transport ---- */

#define CHAIN_MAX 4

struct pem_objs {
	br_x509_certificate certs[CHAIN_MAX];
	size_t n;
	unsigned char *der; /* bytes of the object being decoded */
	size_t len, cap;
};

struct tls_srv {
	br_ssl_server_context sc;
	br_skey_decoder_context skey;
	struct pem_objs chain;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	br_sslio_context io;
	int fd;
};

static char fixture_dir[PATH_MAX];

/* tests/unit/tls next to this file's directory; __FILE__ is relative to
 * the build directory, three levels above this executable. */
static void find_fixtures(void)
{
	char exe[PATH_MAX], src[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n] = 0;
	snprintf(src, sizeof(src), "%s", __FILE__);
	char *src_dir = dirname(src);
	if (src_dir[0] == '/')
		snprintf(fixture_dir, sizeof(fixture_dir), "%s/../tls", src_dir);
	else
		snprintf(fixture_dir, sizeof(fixture_dir), "%s/../../../%s/../tls", dirname(exe),
			 src_dir);
}

static void fixture(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", fixture_dir, name);
}

static void on_der(void *ctx, const void *p, size_t len)
{
	struct pem_objs *o = ctx;
	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		o->der = realloc(o->der, o->cap);
		CHECK(o->der != NULL);
	}
	memcpy(o->der + o->len, p, len);
	o->len += len;
}

/* Decodes every PEM object of the fixture; the last one stays in o->der. */
static void pem_load(const char *name, struct pem_objs *o)
{
	char path[PATH_MAX + 64];
	fixture(path, sizeof(path), name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fprintf(stderr, "cannot open %s\n", path);
	CHECK(f != NULL);
	memset(o, 0, sizeof(*o));
	br_pem_decoder_context pem;
	br_pem_decoder_init(&pem);
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line), off = 0;
		while (off < len) {
			off += br_pem_decoder_push(&pem, line + off, len - off);
			switch (br_pem_decoder_event(&pem)) {
			case BR_PEM_BEGIN_OBJ:
				o->len = 0;
				br_pem_decoder_setdest(&pem, on_der, o);
				break;
			case BR_PEM_END_OBJ:
				if (strcmp(br_pem_decoder_name(&pem), "CERTIFICATE") != 0)
					break;
				CHECK(o->n < CHAIN_MAX);
				o->certs[o->n].data = malloc(o->len);
				CHECK(o->certs[o->n].data != NULL);
				memcpy(o->certs[o->n].data, o->der, o->len);
				o->certs[o->n].data_len = o->len;
				o->n++;
				break;
			case BR_PEM_ERROR:
				CHECK(!"PEM error in fixture");
				break;
			}
		}
	}
	fclose(f);
}

static void pem_free(struct pem_objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->certs[i].data);
	free(o->der);
}

static struct tls_srv *tls_srv_new(const char *chain, const char *key_name)
{
	struct tls_srv *t = calloc(1, sizeof(*t));
	struct pem_objs key;
	CHECK(t != NULL);
	pem_load(chain, &t->chain);
	CHECK(t->chain.n > 0);
	pem_load(key_name, &key);
	br_skey_decoder_init(&t->skey);
	br_skey_decoder_push(&t->skey, key.der, key.len);
	pem_free(&key);
	CHECK_INT_EQ(br_skey_decoder_last_error(&t->skey), 0);
	CHECK_INT_EQ(br_skey_decoder_key_type(&t->skey), BR_KEYTYPE_RSA);
	br_ssl_server_init_full_rsa(&t->sc, t->chain.certs, t->chain.n,
				    br_skey_decoder_get_rsa(&t->skey));
	br_ssl_engine_set_buffer(&t->sc.eng, t->iobuf, sizeof(t->iobuf), 1);
	return t;
}

static void tls_srv_free(struct tls_srv *t)
{
	if (!t)
		return;
	pem_free(&t->chain);
	free(t);
}

static ssize_t sock_recv(int fd, void *p, size_t len)
{
	if (!wait_readable(fd, -1))
		return -1;
	return recv(fd, p, len, 0);
}

static int on_sock_read(void *ctx, unsigned char *p, size_t len)
{
	ssize_t n = sock_recv(*(int *)ctx, p, len);
	return n > 0 ? (int)n : -1;
}

static int on_sock_write(void *ctx, const unsigned char *p, size_t len)
{
	ssize_t n = send(*(int *)ctx, p, len, MSG_NOSIGNAL);
	return n > 0 ? (int)n : -1;
}

static void conn_begin(int fd)
{
	struct tls_srv *t = srv.tls;
	if (!t)
		return;
	t->fd = fd;
	CHECK(br_ssl_server_reset(&t->sc));
	br_sslio_init(&t->io, &t->sc.eng, on_sock_read, &t->fd, on_sock_write, &t->fd);
}

/* Bytes from the client; <= 0 when it closed, failed, or the server stops. */
static ssize_t conn_recv(int fd, void *p, size_t len)
{
	if (srv.tls)
		return br_sslio_read(&srv.tls->io, p, len);
	return sock_recv(fd, p, len);
}

static void send_all(int fd, const char *p, size_t len)
{
	if (srv.tls) {
		/* A failure means the client went away: it is allowed to. */
		if (br_sslio_write_all(&srv.tls->io, p, len) == 0)
			br_sslio_flush(&srv.tls->io);
		return;
	}
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static size_t content_length(const char *head)
{
	for (const char *p = head; (p = strchr(p, '\n')) != NULL;) {
		p++;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			return strtoul(p + 15, NULL, 10);
	}
	return 0;
}

/* Reads one whole request into a new string; NULL when the client closed. */
static char *read_request(int fd, size_t *len)
{
	size_t cap = 1024, have = 0, want = 0;
	char *b = malloc(cap + 1);
	CHECK(b != NULL);
	for (;;) {
		b[have] = 0;
		char *end = strstr(b, "\r\n\r\n");
		if (end && !want)
			want = (size_t)(end + 4 - b) + content_length(b);
		if (want && have >= want) {
			CHECK_INT_EQ(have, want); /* the client never pipelines */
			*len = have;
			return b;
		}
		if (have == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
			CHECK(b != NULL);
		}
		ssize_t n = conn_recv(fd, b + have, cap - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	free(b);
	return NULL;
}

/* Requests past the script get no answer and lose their connection. */
static const struct step *step_for(unsigned i)
{
	static const struct step unscripted = { NULL, 0, CLOSE, 0 };
	if (i < MAX_STEPS && (srv.script[i].resp || srv.script[i].after != KEEP))
		return &srv.script[i];
	return &unscripted;
}

static void serve_conn(int fd, unsigned conn_no)
{
	for (;;) {
		size_t len;
		char *req = read_request(fd, &len);
		if (!req)
			return;
		pthread_mutex_lock(&shared.lock);
		unsigned i = srv.n_reqs;
		CHECK(i < MAX_REQS);
		srv.reqs[i] = req;
		srv.req_len[i] = len;
		srv.req_conn[i] = conn_no;
		srv.n_reqs++;
		pthread_cond_broadcast(&shared.cond);
		pthread_mutex_unlock(&shared.lock);

		const struct step *s = step_for(i);
		if (s->delay_ms && !stop_wait(s->delay_ms))
			return;
		if (s->resp)
			send_all(fd, s->resp, s->resp_len ? s->resp_len : strlen(s->resp));
		if (s->after == CLOSE)
			return;
		if (s->after == HANG) {
			char sink[256];
			while (conn_recv(fd, sink, sizeof(sink)) > 0)
				;
			return;
		}
	}
}

static void *server_main(void *arg)
{
	(void)arg;
	while (wait_readable(srv.listen_fd, -1)) {
		int fd = accept(srv.listen_fd, NULL, NULL);
		CHECK(fd >= 0);
		conn_begin(fd);
		serve_conn(fd, ++srv.accepts);
		close(fd);
	}
	return NULL;
}

/* A TCP socket on 127.0.0.1 with an ephemeral port; listening or not. */
static int loopback_socket(bool listening, uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	CHECK_INT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT_EQ(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	if (listening)
		CHECK_INT_EQ(listen(fd, 16), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* chain: the TLS certificate chain fixture, or NULL for plain TCP. */
static void server_start(const struct step *script, const char *chain)
{
	memset(&srv, 0, sizeof(srv));
	srv.script = script;
	if (chain)
		srv.tls = tls_srv_new(chain, "server-rsa.key");
	srv.listen_fd = loopback_socket(true, &srv.port);
	srv.stop_fd = eventfd(0, EFD_CLOEXEC);
	CHECK(srv.stop_fd >= 0);
	CHECK_INT_EQ(pthread_create(&srv.thread, NULL, server_main, NULL), 0);
}

static void server_stop(void)
{
	uint64_t one = 1;
	CHECK_INT_EQ(write(srv.stop_fd, &one, sizeof(one)), sizeof(one));
	CHECK_INT_EQ(pthread_join(srv.thread, NULL), 0);
	close(srv.listen_fd);
	close(srv.stop_fd);
	tls_srv_free(srv.tls);
}

static void server_forget(void)
{
	for (unsigned i = 0; i < srv.n_reqs; i++)
		free(srv.reqs[i]);
}

/* ---- the client side ------------------------------------------------- */

/* One call's outcome, recorded by its callback. */
struct rec {
	unsigned n;          /* callbacks run */
	unsigned seq;        /* order among all callbacks, from 1 */
	int err;
	char why[1024];
	int status;
	char body[BIG_BODY + 1];
	size_t body_len;
	uint64_t sent_ms, at_ms; /* shard clock */
};

struct tcase {
	const char *name;
	struct step script[MAX_STEPS];
	unsigned max_conns;  /* 0: 4 */
	size_t max_body;     /* 0: 64 KiB */
	bool refused;        /* the origin's port refuses connections */
	const char *tls_chain; /* https://localhost with this server chain; NULL: plain */
	bool https_to_plain; /* https://localhost to the plain server: no handshake ever */
	unsigned stop_after_reqs; /* the main thread stops the runtime once the server read this many */
	void (*start)(void);             /* on the shard, from on_start */
	void (*on_result)(unsigned i);   /* on the shard, after call i's callback was recorded */
	void (*check)(void);             /* main thread, after everything stopped */
};

static struct {
	const struct tcase *tc;
	struct rt_shard *sh;
	pthread_t shard_thread;
	struct client_http *h;
	struct client_url url;
	char base[64];         /* "http://127.0.0.1:port" or "https://localhost:port" */
	bool in_send;
	unsigned seq;
	struct rec rec[MAX_CALLS];
	struct client_http_call *calls[MAX_CALLS];
	uint64_t opened;       /* client_http_conns_opened at the end */
	unsigned open_now;     /* client_http_open_conns at the end */
	unsigned n_later;
} st;

static void on_done(void *ctx, int err, const char *why, const struct client_http_result *res)
{
	struct rec *r = ctx;
	CHECK(pthread_equal(pthread_self(), st.shard_thread));
	CHECK(!st.in_send);
	r->n++;
	CHECK_INT_EQ(r->n, 1);
	r->seq = ++st.seq;
	r->err = err;
	r->at_ms = st.sh->now_ms;
	if (err < 0) {
		CHECK(why != NULL);
		CHECK(res == NULL);
		snprintf(r->why, sizeof(r->why), "%s", why);
	} else {
		CHECK_INT_EQ(err, 0);
		CHECK(why == NULL);
		CHECK(res != NULL);
		CHECK(res->body_len <= BIG_BODY);
		r->status = res->status;
		memcpy(r->body, res->body, res->body_len);
		r->body[res->body_len] = 0;
		r->body_len = res->body_len;
	}
	st.tc->on_result((unsigned)(r - st.rec));
}

static void send_call(unsigned i, const char *method, const char *path,
		      const char *const *headers, const char *body, uint64_t timeout_ms)
{
	CHECK(i < MAX_CALLS);
	st.rec[i].sent_ms = st.sh->now_ms;
	st.in_send = true;
	int ret = client_http_send(st.h, &st.url, method, path, headers, body,
				   body ? strlen(body) : 0, timeout_ms, on_done, &st.rec[i],
				   &st.calls[i]);
	st.in_send = false;
	CHECK_INT_EQ(ret, 0);
	CHECK(st.calls[i] != NULL);
}

static void get(unsigned i, const char *path)
{
	send_call(i, "GET", path, NULL, NULL, 5000);
}

struct later_msg {
	struct rt_msg msg;
	void (*fn)(void);
};

static void on_later(struct rt_shard *sh, struct rt_msg *msg)
{
	(void)sh;
	container_of(msg, struct later_msg, msg)->fn();
}

/* Runs fn on the shard in a later loop turn, outside any client callback. */
static void later(void (*fn)(void))
{
	static struct later_msg msgs[8];
	CHECK(st.n_later < ARRAY_SIZE(msgs));
	struct later_msg *m = &msgs[st.n_later++];
	m->msg.run = on_later;
	m->fn = fn;
	rt_mailbox_send(st.sh, st.sh->id, &m->msg);
}

static void finish(void)
{
	st.opened = client_http_conns_opened(st.h);
	st.open_now = client_http_open_conns(st.h);
	rt_runtime_stop(st.sh->rt);
	pthread_mutex_lock(&shared.lock);
	shared.finished = true;
	pthread_cond_broadcast(&shared.cond);
	pthread_mutex_unlock(&shared.lock);
}

static void check_ok(unsigned i, int status, const char *body)
{
	CHECK_INT_EQ(st.rec[i].n, 1);
	if (st.rec[i].err)
		fprintf(stderr, "call %u failed: %d %s\n", i, st.rec[i].err, st.rec[i].why);
	CHECK_INT_EQ(st.rec[i].err, 0);
	CHECK_INT_EQ(st.rec[i].status, status);
	CHECK_MEM_EQ(st.rec[i].body, st.rec[i].body_len, body);
}

/* The error text starts with the request as Go prints it and contains tail. */
static void check_failed(unsigned i, int err, const char *method, const char *path,
			 const char *tail)
{
	char prefix[256];
	CHECK_INT_EQ(st.rec[i].n, 1);
	CHECK_INT_EQ(st.rec[i].err, err);
	snprintf(prefix, sizeof(prefix), "%s \"%s%s\": ", method, st.base, path);
	if (strncmp(st.rec[i].why, prefix, strlen(prefix)) != 0 || !strstr(st.rec[i].why, tail)) {
		fprintf(stderr, "why: \"%s\"\nwant: \"%s...%s...\"\n", st.rec[i].why, prefix, tail);
		CHECK(!"unexpected error text");
	}
}

/* Request i as the server read it: line, the Host header, then rest. */
static void check_req(unsigned i, const char *line, const char *rest)
{
	char want[512];
	snprintf(want, sizeof(want), "%s\r\nHost: %s\r\n%s", line, st.url.host_header, rest);
	CHECK(i < srv.n_reqs);
	CHECK_MEM_EQ(srv.reqs[i], srv.req_len[i], want);
}

/* ---- the cases -------------------------------------------------------- */

#define OK_KEEP(body) "HTTP/1.1 200 OK\r\nContent-Length: " #body "\r\n\r\n"

static const char *const get_headers[] = { "Accept: application/json", "X-Trace: abc 1", NULL };

/* 1. The request goes out exactly as written; status and body come back. */
static void get_post_start(void)
{
	send_call(0, "GET", "/base/get?q=1", get_headers, NULL, 5000);
}

static void get_post_second(void)
{
	static const char *const h[] = { "Content-Type: application/json", NULL };
	send_call(1, "POST", "/base/post", h, "{\"a\":1}", 5000);
}

static void get_post_result(unsigned i)
{
	if (i == 0)
		later(get_post_second);
	else
		finish();
}

static void get_post_check(void)
{
	check_ok(0, 200, "hello");
	check_ok(1, 201, "created");
	CHECK_INT_EQ(srv.n_reqs, 2);
	check_req(0, "GET /base/get?q=1 HTTP/1.1",
		  "Accept: application/json\r\nX-Trace: abc 1\r\n\r\n");
	check_req(1, "POST /base/post HTTP/1.1",
		  "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
	CHECK_INT_EQ(st.opened, 1);
}

/* 2. Three requests in turn share one connection (one chunked answer). */
static void seq_start(void)
{
	get(0, "/one");
}

static void seq_second(void)
{
	get(1, "/two");
}

static void seq_third(void)
{
	get(2, "/three");
}

static void seq_result(unsigned i)
{
	if (i == 0)
		later(seq_second);
	else if (i == 1)
		later(seq_third);
	else
		finish();
}

static void keep_alive_check(void)
{
	check_ok(0, 200, "1");
	check_ok(1, 200, "two");
	check_ok(2, 404, "3");
	CHECK_INT_EQ(st.opened, 1);
	CHECK_INT_EQ(st.open_now, 1); /* idle in the pool */
	CHECK_INT_EQ(srv.accepts, 1);
	CHECK_INT_EQ(srv.n_reqs, 3);
	check_req(2, "GET /three HTTP/1.1", "\r\n");
}

/* 3. The server closes a keep-alive connection after its answer. */
static void two_start(void)
{
	get(0, "/one");
}

static void two_second(void)
{
	get(1, "/two");
}

static void two_result(unsigned i)
{
	if (i == 0)
		later(two_second);
	else
		finish();
}

static void closed_idle_check(void)
{
	check_ok(0, 200, "1");
	check_ok(1, 200, "2");
	CHECK_INT_EQ(st.opened, 2);
	CHECK_INT_EQ(srv.accepts, 2);
	CHECK_INT_EQ(srv.n_reqs, 2);
	CHECK_INT_EQ(srv.req_conn[1], 2);
}

/* ... or reads the next request on it and closes without answering. */
static void closed_reused_check(void)
{
	check_ok(0, 200, "1");
	check_ok(1, 200, "2");
	CHECK_INT_EQ(st.opened, 2);
	CHECK_INT_EQ(srv.n_reqs, 3);
	CHECK_INT_EQ(srv.req_conn[0], 1);
	CHECK_INT_EQ(srv.req_conn[1], 1);
	CHECK_INT_EQ(srv.req_conn[2], 2);
	check_req(1, "GET /two HTTP/1.1", "\r\n");
	check_req(2, "GET /two HTTP/1.1", "\r\n");
}

/* ... and once more on the fresh connection: retried only once. */
static void retry_once_check(void)
{
	check_ok(0, 200, "1");
	check_failed(1, -EPIPE, "Get", "/two", "connection closed before");
	CHECK_INT_EQ(st.opened, 2);
	CHECK_INT_EQ(srv.n_reqs, 3);
	CHECK_INT_EQ(srv.req_conn[2], 2);
}

/* 4. A fresh connection closed without an answer is not retried. */
static void one_start(void)
{
	get(0, "/x");
}

static void one_result(unsigned i)
{
	(void)i;
	finish();
}

static void fresh_closed_check(void)
{
	check_failed(0, -EPIPE, "Get", "/x", "connection closed before the response was complete");
	CHECK_INT_EQ(st.opened, 1);
	CHECK_INT_EQ(srv.n_reqs, 1);
}

/* 5. No answer within the call's timeout. */
#define SHORT_TIMEOUT_MS 300

static void timeout_start(void)
{
	send_call(0, "GET", "/slow", NULL, NULL, SHORT_TIMEOUT_MS);
}

static void timeout_check(void)
{
	check_failed(0, -ETIMEDOUT, "Get", "/slow", "context deadline exceeded");
	char want[128];
	snprintf(want, sizeof(want), "Get \"%s/slow\": context deadline exceeded", st.base);
	CHECK_STR_EQ(st.rec[0].why, want);
	CHECK(st.rec[0].at_ms >= st.rec[0].sent_ms + SHORT_TIMEOUT_MS);
	CHECK_INT_EQ(srv.n_reqs, 1);
}

/* 5b. Connected, but the server never answers the ClientHello: the
 * connect timeout (2 s here) covers the handshake, before the call's own. */
static void handshake_stall_start(void)
{
	send_call(0, "GET", "/x", NULL, NULL, 5000);
}

static void handshake_stall_check(void)
{
	check_failed(0, -ETIMEDOUT, "Get", "/x", "net/http: TLS handshake timeout");
	CHECK(st.rec[0].at_ms >= st.rec[0].sent_ms + 2000);
	CHECK(st.rec[0].at_ms < st.rec[0].sent_ms + 5000);
	CHECK_INT_EQ(srv.n_reqs, 0);
}

/* 6. Nothing listens on the port. */
static void refused_check(void)
{
	char tail[128];
	snprintf(tail, sizeof(tail), "dial tcp 127.0.0.1:%u: connect: connection refused",
		 st.url.port);
	check_failed(0, -ECONNREFUSED, "Get", "/x", tail);
	CHECK_INT_EQ(srv.accepts, 0);
}

/* 7. A body over max_body fails the call and the connection goes. */
static void too_large_check(void)
{
	check_failed(0, -EMSGSIZE, "Get", "/one", "");
	check_ok(1, 200, "2");
	CHECK_INT_EQ(st.opened, 2);
	CHECK_INT_EQ(srv.accepts, 2);
	CHECK_INT_EQ(srv.req_conn[1], 2);
}

/* ... also when a second call waits for the only connection allowed. */
static void both_start(void)
{
	get(0, "/one");
	get(1, "/two");
}

static unsigned results;

static void both_result(unsigned i)
{
	(void)i;
	if (++results == 2)
		finish();
}

static void too_large_waiter_check(void)
{
	check_failed(0, -EMSGSIZE, "Get", "/one", "");
	check_ok(1, 200, "2");
	CHECK(st.rec[0].seq < st.rec[1].seq);
	CHECK_INT_EQ(st.opened, 2);
	CHECK_INT_EQ(srv.req_conn[1], 2);
}

/* A response that is not HTTP. */
static void garbage_check(void)
{
	check_failed(0, -EPROTO, "Get", "/x", "");
	CHECK_INT_EQ(st.opened, 1);
}

/* A server certificate that no anchor vouches for. */
static void untrusted_check(void)
{
	check_failed(0, -EPROTO, "Get", "/x", "tls: certificate is not trusted (localhost)");
	CHECK_INT_EQ(srv.n_reqs, 0);
}

/* 8. One connection allowed: the second call waits, then uses it. */
static void one_conn_result(unsigned i)
{
	if (i == 0) {
		CHECK_INT_EQ(st.rec[1].n, 0);
		CHECK_INT_EQ(client_http_open_conns(st.h), 1);
	}
	both_result(i);
}

static void one_conn_check(void)
{
	check_ok(0, 200, "1");
	check_ok(1, 200, "2");
	CHECK_INT_EQ(st.rec[0].seq, 1);
	CHECK_INT_EQ(st.rec[1].seq, 2);
	CHECK_INT_EQ(st.opened, 1);
	CHECK_INT_EQ(srv.accepts, 1);
	CHECK_INT_EQ(srv.n_reqs, 2);
	check_req(0, "GET /one HTTP/1.1", "\r\n");
	check_req(1, "GET /two HTTP/1.1", "\r\n");
}

/* 9. An abandoned call's exchange still ends and frees the connection. */
static void abandon_start(void)
{
	get(0, "/one");
	client_http_abandon(st.calls[0]);
	get(1, "/two");
}

static void abandon_result(unsigned i)
{
	CHECK_INT_EQ(i, 1);
	finish();
}

static void abandon_check(void)
{
	CHECK_INT_EQ(st.rec[0].n, 0);
	check_ok(1, 200, "2");
	CHECK_INT_EQ(st.opened, 1);
	CHECK_INT_EQ(st.open_now, 1);
	CHECK_INT_EQ(srv.n_reqs, 2);
	CHECK_INT_EQ(srv.req_conn[1], 1);
}

/* 10. The shard exits with calls in flight: on a connection, waiting for
 * one, and resolving "localhost" on the resolver's helper thread. */
static struct client_url localhost_url;

static void in_flight_start(void)
{
	get(0, "/one");
	get(1, "/two");
	char url[64];
	const char *why;
	/* Another origin for the same server: plain http to "localhost" (the
	 * https variant's origin is https://localhost; the plain one's is
	 * 127.0.0.1). It never gets past the resolver or the connect. */
	snprintf(url, sizeof(url), "http://localhost:%u", srv.port);
	CHECK_INT_EQ(client_url_parse(url, &localhost_url, &why), 0);
	st.in_send = true;
	CHECK_INT_EQ(client_http_send(st.h, &localhost_url, "GET", "/three", NULL, NULL, 0, 5000,
				      on_done, &st.rec[2], NULL), 0);
	st.in_send = false;
}

static void never_result(unsigned i)
{
	(void)i;
	CHECK(!"no callback may run");
}

static void in_flight_check(void)
{
	for (unsigned i = 0; i < MAX_CALLS; i++)
		CHECK_INT_EQ(st.rec[i].n, 0);
	/* Either connection may be accepted first; /two never left the queue. */
	CHECK(srv.n_reqs >= 1);
	for (unsigned i = 0; i < srv.n_reqs; i++)
		CHECK(strncmp(srv.reqs[i], "GET /one ", 9) == 0 ||
		      strncmp(srv.reqs[i], "GET /three ", 11) == 0);
}

static char big_resp[BIG_BODY + 128];

#define STEPS(...) { __VA_ARGS__ }
#define S_GET_POST STEPS( \
	{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", 0, KEEP, 0 }, \
	{ "HTTP/1.1 201 Created\r\nContent-Length: 7\r\n\r\ncreated", 0, KEEP, 0 })
#define S_THREE STEPS( \
	{ OK_KEEP(1) "1", 0, KEEP, 0 }, \
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n", 0, KEEP, 0 }, \
	{ "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\n3", 0, KEEP, 0 })
#define S_CLOSED_IDLE STEPS({ OK_KEEP(1) "1", 0, CLOSE, 0 }, { OK_KEEP(1) "2", 0, KEEP, 0 })
#define S_CLOSED_REUSED \
	STEPS({ OK_KEEP(1) "1", 0, KEEP, 0 }, { NULL, 0, CLOSE, 0 }, { OK_KEEP(1) "2", 0, KEEP, 0 })
#define S_RETRY_ONCE \
	STEPS({ OK_KEEP(1) "1", 0, KEEP, 0 }, { NULL, 0, CLOSE, 0 }, { NULL, 0, CLOSE, 0 })
#define S_SILENT_CLOSE STEPS({ NULL, 0, CLOSE, 0 })
#define S_HANG STEPS({ NULL, 0, HANG, 0 })
#define S_TOO_LARGE STEPS({ big_resp, 0, KEEP, 0 }, { OK_KEEP(1) "2", 0, KEEP, 0 })
#define S_TWO STEPS({ OK_KEEP(1) "1", 0, KEEP, 0 }, { OK_KEEP(1) "2", 0, KEEP, 0 })

static const struct tcase cases[] = {
	{ .name = "get_post", .script = S_GET_POST,
	  .start = get_post_start, .on_result = get_post_result, .check = get_post_check },
	{ .name = "keep_alive", .script = S_THREE,
	  .start = seq_start, .on_result = seq_result, .check = keep_alive_check },
	{ .name = "closed_idle", .script = S_CLOSED_IDLE,
	  .start = two_start, .on_result = two_result, .check = closed_idle_check },
	{ .name = "closed_reused", .script = S_CLOSED_REUSED,
	  .start = two_start, .on_result = two_result, .check = closed_reused_check },
	{ .name = "closed_reused_one_conn", .script = S_CLOSED_REUSED, .max_conns = 1,
	  .start = two_start, .on_result = two_result, .check = closed_reused_check },
	{ .name = "retry_once", .script = S_RETRY_ONCE,
	  .start = two_start, .on_result = two_result, .check = retry_once_check },
	{ .name = "fresh_closed", .script = S_SILENT_CLOSE,
	  .start = one_start, .on_result = one_result, .check = fresh_closed_check },
	{ .name = "timeout", .script = S_HANG,
	  .start = timeout_start, .on_result = one_result, .check = timeout_check },
	{ .name = "refused", .refused = true,
	  .start = one_start, .on_result = one_result, .check = refused_check },
	{ .name = "too_large", .script = S_TOO_LARGE, .max_body = 1024,
	  .start = two_start, .on_result = two_result, .check = too_large_check },
	{ .name = "too_large_waiter", .script = S_TOO_LARGE, .max_body = 1024, .max_conns = 1,
	  .start = both_start, .on_result = both_result, .check = too_large_waiter_check },
	{ .name = "garbage", .script = STEPS({ "SMTP ready\r\n\r\n", 0, KEEP, 0 }),
	  .start = one_start, .on_result = one_result, .check = garbage_check },
	{ .name = "one_conn", .max_conns = 1,
	  .script = STEPS({ OK_KEEP(1) "1", 0, KEEP, 50 }, { OK_KEEP(1) "2", 0, KEEP, 0 }),
	  .start = both_start, .on_result = one_conn_result, .check = one_conn_check },
	{ .name = "abandon", .script = S_TWO, .max_conns = 1,
	  .start = abandon_start, .on_result = abandon_result, .check = abandon_check },
	{ .name = "free_in_flight", .script = S_HANG, .max_conns = 1, .stop_after_reqs = 1,
	  .start = in_flight_start, .on_result = never_result, .check = in_flight_check },
	/* The same through the TLS engine pump. */
	{ .name = "tls_keep_alive", .script = S_THREE, .tls_chain = "server-rsa.pem",
	  .start = seq_start, .on_result = seq_result, .check = keep_alive_check },
	{ .name = "tls_closed_reused", .script = S_CLOSED_REUSED, .tls_chain = "server-rsa.pem",
	  .start = two_start, .on_result = two_result, .check = closed_reused_check },
	{ .name = "tls_too_large", .script = S_TOO_LARGE, .max_body = 1024,
	  .tls_chain = "server-rsa.pem",
	  .start = two_start, .on_result = two_result, .check = too_large_check },
	{ .name = "tls_timeout", .script = S_HANG, .tls_chain = "server-rsa.pem",
	  .start = timeout_start, .on_result = one_result, .check = timeout_check },
	{ .name = "tls_handshake_stall", .script = S_HANG, .https_to_plain = true,
	  .start = handshake_stall_start, .on_result = one_result, .check = handshake_stall_check },
	{ .name = "tls_untrusted", .script = S_HANG, .tls_chain = "untrusted.pem",
	  .start = one_start, .on_result = one_result, .check = untrusted_check },
	{ .name = "tls_free_in_flight", .script = S_HANG, .max_conns = 1, .stop_after_reqs = 1,
	  .tls_chain = "server-rsa.pem",
	  .start = in_flight_start, .on_result = never_result, .check = in_flight_check },
};

/* ---- running a case --------------------------------------------------- */

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	CHECK(dir != NULL);
	int n = 0;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n - 3; /* ".", ".." and the directory's own fd */
}

static struct tls_trust *trust;

static int on_start(struct rt_shard *sh)
{
	const struct tcase *tc = st.tc;
	struct client_http_config cfg = {
		.trust = trust,
		.connect_timeout_ms = 2000,
		.idle_timeout_ms = 10000,
		.max_head = 4096,
		.max_body = tc->max_body ? tc->max_body : 64 * 1024,
		.max_conns_per_origin = tc->max_conns ? tc->max_conns : 4,
	};
	st.sh = sh;
	st.shard_thread = pthread_self();
	st.h = client_http_new(sh, &cfg);
	CHECK(st.h != NULL);
	CHECK_INT_EQ(client_http_open_conns(st.h), 0);
	CHECK_INT_EQ(client_http_conns_opened(st.h), 0);
	tc->start();
	return 0;
}

static void on_exit_shard(struct rt_shard *sh)
{
	(void)sh;
	client_http_free(st.h);
	st.h = NULL;
}

/* Returns false when the runtime cannot start here (no io_uring). */
static bool run_case(const struct tcase *tc)
{
	int fds_before = count_fds();
	memset(&st, 0, sizeof(st));
	shared.finished = false;
	results = 0;
	st.tc = tc;
	server_start(tc->script, tc->tls_chain);

	uint16_t port = srv.port;
	int refusing_fd = -1;
	if (tc->refused)
		refusing_fd = loopback_socket(false, &port);
	const char *why;
	if (tc->tls_chain || tc->https_to_plain)
		snprintf(st.base, sizeof(st.base), "https://localhost:%u", port);
	else
		snprintf(st.base, sizeof(st.base), "http://127.0.0.1:%u", port);
	CHECK_INT_EQ(client_url_parse(st.base, &st.url, &why), 0);

	struct rt_config cfg = {
		.shards = 1,
		.ring_entries = 64,
		.buf_count = 16,
		.buf_size = 4096,
		.drain_timeout_ms = 1000,
		.hooks = { .on_start = on_start, .on_exit = on_exit_shard },
	};
	struct rt_runtime *rt;
	int ret = rt_runtime_start(&cfg, &rt);
	if (ret == -EPERM || ret == -ENOSYS) {
		server_stop();
		return false;
	}
	CHECK_INT_EQ(ret, 0);

	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&shared.lock);
	for (;;) {
		if (shared.finished)
			break;
		if (tc->stop_after_reqs && srv.n_reqs >= tc->stop_after_reqs) {
			rt_runtime_stop(rt);
			shared.finished = true;
			break;
		}
		if (pthread_cond_timedwait(&shared.cond, &shared.lock, &until) != 0)
			break;
	}
	bool finished = shared.finished;
	pthread_mutex_unlock(&shared.lock);
	if (!finished) {
		fprintf(stderr, "%s: stuck (server read %u requests)\n", tc->name, srv.n_reqs);
		for (unsigned i = 0; i < MAX_CALLS; i++)
			fprintf(stderr, "  call %u: %u callbacks, err %d %s\n", i, st.rec[i].n,
				st.rec[i].err, st.rec[i].why);
	}
	CHECK(finished);
	rt_runtime_join(rt);
	server_stop();
	if (refusing_fd >= 0)
		close(refusing_fd);
	tc->check();
	server_forget();
	/* Every connection was closed and the runtime's own fds are gone. */
	CHECK_INT_EQ(count_fds(), fds_before);
	fprintf(stderr, "%s: ok\n", tc->name);
	return true;
}

/* Runs every case, or those named on the command line. */
int main(int argc, char **argv)
{
	int n = snprintf(big_resp, sizeof(big_resp),
			 "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", BIG_BODY);
	memset(big_resp + n, 'x', BIG_BODY);
	big_resp[n + BIG_BODY] = 0;
	find_fixtures();
	char path[PATH_MAX + 64], err[256] = "";
	fixture(path, sizeof(path), "trust.pem");
	if (tls_trust_load(path, &trust, err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	CHECK(trust != NULL);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool wanted = argc < 2;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], cases[i].name) == 0;
		if (wanted && !run_case(&cases[i])) {
			fprintf(stderr, "io_uring not available here\n");
			tls_trust_free(trust);
			return TEST_SKIP;
		}
	}
	tls_trust_free(trust);
	return 0;
}
