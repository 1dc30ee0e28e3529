/*
 * The ServerReflectionInfo streams on h2: each request message is answered
 * at once by reflection_answer; the client's half-close ends the call with
 * OK. Runs on the call's shard. What a stream already sent lives in a small
 * per-thread table keyed by the call (h2 gives a call no user pointer).
 */
#include <errno.h>
#include <stdbool.h>

#include "challenged/reflection.h"

/*
 * A call stays valid until h2_call_finish, and a slot is freed exactly when
 * its call is finished, so a slot's call pointer is never a reused one.
 * With the table full a stream works without memory: it gets every import
 * with each file, which clients accept.
 */
#define STREAMS_PER_SHARD 64

struct stream {
	const struct h2_call *call;
	uint64_t sent;
};

static _Thread_local struct stream streams[STREAMS_PER_SHARD];

static struct stream *stream_get(const struct h2_call *call)
{
	struct stream *free_slot = NULL;
	for (size_t i = 0; i < STREAMS_PER_SHARD; i++) {
		if (streams[i].call == call)
			return &streams[i];
		if (!streams[i].call && !free_slot)
			free_slot = &streams[i];
	}
	if (free_slot)
		*free_slot = (struct stream){ .call = call, .sent = 0 };
	return free_slot;
}

static void stream_finish(struct h2_call *call, struct stream *st, enum grpc_status status,
			  const char *why)
{
	if (st)
		*st = (struct stream){ 0 };
	h2_call_finish(call, status, why, NULL, 0);
}

static void on_reflection_info(struct h2_call *call, const uint8_t *req, size_t len)
{
	struct stream *st = stream_get(call);
	if (!req) {
		stream_finish(call, st, GRPC_OK, NULL);
		return;
	}
	if (h2_call_cancelled(call)) {
		stream_finish(call, st, GRPC_CANCELLED, "context canceled");
		return;
	}

	struct reflection_set set;
	reflection_set_active(&set);
	uint64_t sent = st ? st->sent : 0;
	enum grpc_status status = GRPC_OK;
	const char *why = NULL;
	struct buf out;
	buf_init(&out);
	int rc = reflection_answer(&set, req, len, &sent, &out, &status, &why);
	if (rc == 0) {
		rc = h2_call_send(call, (const uint8_t *)out.data, out.len);
		if (rc < 0) {
			status = rc == -ENOMEM || rc == -ENOBUFS ? GRPC_RESOURCE_EXHAUSTED
								 : GRPC_CANCELLED;
			why = "reflection answer not sent";
		}
	}
	buf_fini(&out);
	if (rc < 0)
		stream_finish(call, st, status, why);
	else if (st)
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
