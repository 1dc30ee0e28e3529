/*
 * The gRPC twin of the REST answers: a message built from the protobuf-JSON
 * our renderers produce (every field present, lowerCamelCase names), using
 * only protobuf-c's descriptors, so each RPC answers exactly what its REST
 * route answers. Pure; any thread.
 */
#ifndef CHALLENGED_API_TRANSCODE_H
#define CHALLENGED_API_TRANSCODE_H

#include <protobuf-c/protobuf-c.h>

#include "challenged/buf.h"

/*
 * Parses json, builds a desc message from it (keys are the fields'
 * lowerCamelCase names; absent or null keys leave the default; the last of
 * duplicate keys wins) and appends its wire encoding to out. Returns 0, or
 * -EINVAL (json not an object, or a value of the wrong type), or -ENOMEM.
 */
int transcode_json_to_pb(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
			 struct buf *out);

#endif
