/*
 * The ServerReflectionInfo streams on h2: each request message is answered
 * at once by reflection_answer; the client's half-close ends the call with
 * OK, and so does the server's graceful stop (as Health.Watch does). What a
 * stream already sent is the call's data. Runs on the call's shard.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "challenged/reflection.h"

struct stream {
	uint64_t sent; /* bit i: reflection_embedded.files[i] went out */
};

static void stream_finish(struct h2_call *call, enum grpc_status status, const char *why)
{
	free(h2_call_data(call));
	h2_call_set_data(call, NULL);
	h2_call_finish(call, status, why, NULL, 0);
}

static void on_stream_event(struct h2_call *call, enum h2_call_event ev)
{
	/* A cancelled call's answer is dropped anyway. */
	if (ev == H2_CALL_STOPPING)
		stream_finish(call, GRPC_OK, NULL);
	else
		stream_finish(call, GRPC_CANCELLED, "context canceled");
}

/* The call's stream state, made on its first message; NULL without memory. */
static struct stream *stream_get(struct h2_call *call)
{
	struct stream *st = h2_call_data(call);
	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	h2_call_set_data(call, st);
	h2_call_on_event(call, on_stream_event);
	return st;
}

static void on_reflection_info(struct h2_call *call, const uint8_t *req, size_t len)
{
	if (!req) {
		stream_finish(call, GRPC_OK, NULL);
		return;
	}
	struct stream *st = stream_get(call);
	if (!st) {
		stream_finish(call, GRPC_RESOURCE_EXHAUSTED, "server out of memory");
		return;
	}

	struct reflection_set set;
	reflection_set_active(&set);
	uint64_t sent = st->sent;
	enum grpc_status status = GRPC_OK;
	const char *why = NULL;
	struct buf out;
	buf_init(&out);
	int rc = reflection_answer(&set, req, len, &sent, &out, &status, &why);
	if (rc == 0) {
		rc = h2_call_send(call, (const uint8_t *)out.data, out.len);
		if (rc < 0) {
			/* -ENOBUFS: the client does not read what it asked for */
			status = rc == -ENOBUFS ? GRPC_RESOURCE_EXHAUSTED : GRPC_CANCELLED;
			why = "reflection answer not sent";
		}
	}
	buf_fini(&out);
	if (rc < 0)
		stream_finish(call, status, why);
	else
		st->sent = sent;
}

static const struct h2_method methods_table[] = {
	{ .path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
	  .handle = on_reflection_info, .streaming_requests = true },
	{ .path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
	  .handle = on_reflection_info, .streaming_requests = true },
};

void reflection_methods(const struct h2_method **methods, size_t *n)
{
	*methods = methods_table;
	*n = ARRAY_SIZE(methods_table);
}
