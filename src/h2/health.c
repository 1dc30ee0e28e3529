/*
 * grpc.health.v1.Health as grpc-go's health server answers it with only the
 * overall service ("") registered as SERVING: Check and Watch, messages
 * encoded by hand (two fields in all). Shard thread only, like every call.
 */
#include "h2_private.h"

enum serving_status {
	SERVING = 1,
	SERVICE_UNKNOWN = 3, /* Watch only */
};

static void on_check(struct h2_call *call, const uint8_t *req, size_t len)
{
	struct str service;
	if (h2_health_request_decode(req, len, &service) < 0) {
		h2_call_finish(call, GRPC_INTERNAL, "grpc: error unmarshalling request", NULL, 0);
		return;
	}
	if (service.len > 0) {
		h2_call_finish(call, GRPC_NOT_FOUND, "unknown service", NULL, 0);
		return;
	}
	uint8_t out[2];
	size_t n = h2_health_response_encode(out, SERVING);
	h2_call_finish(call, GRPC_OK, NULL, out, n);
}

static void on_watch_event(struct h2_call *call, enum h2_call_event ev)
{
	/* A cancelled call's answer is dropped; a stopping server ends the
	 * watch cleanly. */
	if (ev == H2_CALL_STOPPING)
		h2_call_finish(call, GRPC_OK, NULL, NULL, 0);
	else
		h2_call_finish(call, GRPC_CANCELLED, "watch cancelled", NULL, 0);
}

static void on_watch(struct h2_call *call, const uint8_t *req, size_t len)
{
	struct str service;
	if (h2_health_request_decode(req, len, &service) < 0) {
		h2_call_finish(call, GRPC_INTERNAL, "grpc: error unmarshalling request", NULL, 0);
		return;
	}
	uint8_t out[2];
	size_t n = h2_health_response_encode(out, service.len > 0 ? SERVICE_UNKNOWN : SERVING);
	if (h2_call_send(call, out, n) < 0) {
		h2_call_finish(call, GRPC_UNAVAILABLE, "could not send the health status", NULL, 0);
		return;
	}
	/* The status never changes while we run: wait for the end. */
	h2_call_on_event(call, on_watch_event);
}

static const struct h2_method health_methods[] = {
	{ .path = "/grpc.health.v1.Health/Check", .handle = on_check },
	{ .path = "/grpc.health.v1.Health/Watch", .handle = on_watch, .streaming_responses = true },
};

void h2_health_methods(const struct h2_method **methods, size_t *n)
{
	*methods = health_methods;
	*n = ARRAY_SIZE(health_methods);
}
