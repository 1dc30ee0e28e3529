/*
 * gRPC wire details that need no connection: grpc-timeout, grpc-message
 * percent-encoding, the 5-byte message prefix, UNIMPLEMENTED wording (as
 * grpc-go words it) and the two tiny grpc.health.v1 messages. Pure functions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "h2_private.h"

int h2_timeout_parse(const char *v, size_t len, uint64_t *ms)
{
	/* TimeoutValue is at most 8 digits, so no unit can overflow 64 bits. */
	if (len < 2 || len > 9)
		return -EINVAL;
	uint64_t n = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	switch (v[len - 1]) {
	case 'H':
		*ms = n * 3600000;
		break;
	case 'M':
		*ms = n * 60000;
		break;
	case 'S':
		*ms = n * 1000;
		break;
	case 'm':
		*ms = n;
		break;
	case 'u':
		*ms = (n + 999) / 1000;
		break;
	case 'n':
		*ms = (n + 999999) / 1000000;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

void h2_percent_encode(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch <= 0x7e && ch != '%') {
			buf_append_char(out, (char)ch);
		} else {
			char esc[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			buf_append(out, esc, 3);
		}
	}
}

void h2_prefix_write(uint8_t out[5], bool compressed, uint32_t len)
{
	out[0] = compressed ? 1 : 0;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
}

struct str h2_path_service(const char *path, size_t len)
{
	const char *p = path;
	if (len > 0 && p[0] == '/') {
		p++;
		len--;
	}
	const char *slash = memrchr(p, '/', len);
	return (struct str){ p, slash ? (size_t)(slash - p) : len };
}

void h2_unknown_message(char *out, size_t cap, const char *path, bool known_service)
{
	size_t len = strlen(path);
	struct str svc = h2_path_service(path, len);
	const char *slash = memrchr(path, '/', len);
	if (!slash || slash == path) {
		snprintf(out, cap, "malformed method name: \"%s\"", path);
	} else if (known_service) {
		snprintf(out, cap, "unknown method %s for service %.*s", slash + 1, (int)svc.len,
			 svc.ptr);
	} else {
		snprintf(out, cap, "unknown service %.*s", (int)svc.len, svc.ptr);
	}
}

/* ---- protobuf ------------------------------------------------------------ */

static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -EINVAL;
		uint8_t b = p[(*pos)++];
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

int h2_health_request_decode(const uint8_t *p, size_t len, struct str *service)
{
	*service = (struct str){ "", 0 };
	size_t pos = 0;
	while (pos < len) {
		uint64_t key, n;
		if (read_varint(p, len, &pos, &key) < 0 || key >> 3 == 0)
			return -EINVAL;
		switch (key & 7) {
		case 0:
			if (read_varint(p, len, &pos, &n) < 0)
				return -EINVAL;
			break;
		case 1:
			if (len - pos < 8)
				return -EINVAL;
			pos += 8;
			break;
		case 2:
			if (read_varint(p, len, &pos, &n) < 0 || n > len - pos)
				return -EINVAL;
			if (key >> 3 == 1)
				*service = (struct str){ (const char *)p + pos, (size_t)n };
			pos += (size_t)n;
			break;
		case 5:
			if (len - pos < 4)
				return -EINVAL;
			pos += 4;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

size_t h2_health_response_encode(uint8_t out[2], unsigned status)
{
	/* proto3 leaves a zero enum out; the statuses fit one varint byte. */
	if (status == 0)
		return 0;
	out[0] = 0x08;
	out[1] = (uint8_t)(status & 0x7f);
	return 2;
}
