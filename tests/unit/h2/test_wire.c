/*
 * The pure gRPC wire helpers of src/h2/wire.c: grpc-timeout units and
 * rounding, grpc-message percent-encoding, the message prefix, the
 * UNIMPLEMENTED wording, and the grpc.health.v1 messages by hand.
 */
#include <errno.h>

#include "../../../src/h2/h2_private.h"
#include "check.h"

static void timeout_is(const char *v, int want_rv, uint64_t want_ms)
{
	uint64_t ms = 12345;
	int rv = h2_timeout_parse(v, strlen(v), &ms);
	CHECK_INT_EQ(rv, want_rv);
	if (rv == 0)
		CHECK_INT_EQ(ms, want_ms);
}

static void test_timeout(void)
{
	timeout_is("1H", 0, 3600000);
	timeout_is("2M", 0, 120000);
	timeout_is("3S", 0, 3000);
	timeout_is("250m", 0, 250);
	timeout_is("0m", 0, 0);
	timeout_is("1500u", 0, 2);   /* rounded up, never shortened */
	timeout_is("1u", 0, 1);
	timeout_is("1000000n", 0, 1);
	timeout_is("1000001n", 0, 2);
	timeout_is("1n", 0, 1);
	timeout_is("99999999H", 0, 99999999ull * 3600000);
	timeout_is("100000000S", -EINVAL, 0); /* nine digits */
	timeout_is("", -EINVAL, 0);
	timeout_is("S", -EINVAL, 0);
	timeout_is("1x", -EINVAL, 0);
	timeout_is("1s", -EINVAL, 0);
	timeout_is("-1S", -EINVAL, 0);
	timeout_is("1.5S", -EINVAL, 0);
	timeout_is("1 S", -EINVAL, 0);
}

static void encoded_is(const char *in, const char *want)
{
	struct buf b;
	buf_init(&b);
	h2_percent_encode(&b, in, strlen(in));
	CHECK_MEM_EQ(b.data ? b.data : "", b.len, want);
	buf_fini(&b);
}

static void test_percent_encode(void)
{
	encoded_is("", "");
	encoded_is("plain text: ok (1/2) ~!", "plain text: ok (1/2) ~!");
	encoded_is("100%", "100%25");
	encoded_is("a\nb\tc\r", "a%0Ab%09c%0D");
	encoded_is("\xc3\xbc \xe2\x9c\x93", "%C3%BC %E2%9C%93");
	encoded_is("\x7f\x1f", "%7F%1F");
}

static void test_prefix(void)
{
	uint8_t p[5];
	h2_prefix_write(p, false, 0x01020304);
	CHECK(memcmp(p, "\x00\x01\x02\x03\x04", 5) == 0);
	h2_prefix_write(p, true, 5);
	CHECK_INT_EQ(p[0], 1);
	CHECK_INT_EQ(p[4], 5);
}

static void test_unknown(void)
{
	char out[128];
	h2_unknown_message(out, sizeof(out), "/test.Echo/Nope", true);
	CHECK_STR_EQ(out, "unknown method Nope for service test.Echo");
	h2_unknown_message(out, sizeof(out), "/foo.Bar/Baz", false);
	CHECK_STR_EQ(out, "unknown service foo.Bar");
	h2_unknown_message(out, sizeof(out), "noslash", false);
	CHECK_STR_EQ(out, "malformed method name: \"noslash\"");
	h2_unknown_message(out, sizeof(out), "/only", false);
	CHECK_STR_EQ(out, "malformed method name: \"/only\"");
	struct str s = h2_path_service("/a.B/C", 6);
	CHECK_MEM_EQ(s.ptr, s.len, "a.B");
	/* truncation keeps the string terminated */
	char tiny[8];
	h2_unknown_message(tiny, sizeof(tiny), "/foo.Bar/Baz", false);
	CHECK_STR_EQ(tiny, "unknown");
}

static int decode(const char *p, size_t len, struct str *svc)
{
	return h2_health_request_decode((const uint8_t *)p, len, svc);
}

static void test_health_messages(void)
{
	struct str svc;
	CHECK_INT_EQ(decode("", 0, &svc), 0);
	CHECK_INT_EQ(svc.len, 0);
	CHECK_INT_EQ(decode("\x0a\x03" "foo", 5, &svc), 0);
	CHECK_MEM_EQ(svc.ptr, svc.len, "foo");
	/* unknown fields of every wire type are skipped; the last service wins */
	static const char mixed[] = "\x10\x96\x01"           /* 2: varint 150 */
				    "\x0a\x01" "x"
				    "\x19" "12345678"            /* 3: fixed64 */
				    "\x25" "1234"                /* 4: fixed32 */
				    "\x2a\x02" "zz"              /* 5: bytes */
				    "\x0a\x02" "ok";
	CHECK_INT_EQ(decode(mixed, sizeof(mixed) - 1, &svc), 0);
	CHECK_MEM_EQ(svc.ptr, svc.len, "ok");
	CHECK_INT_EQ(decode("\x0a\x05" "ab", 4, &svc), -EINVAL);     /* short */
	CHECK_INT_EQ(decode("\x0b", 1, &svc), -EINVAL);              /* group */
	CHECK_INT_EQ(decode("\x10\x80", 2, &svc), -EINVAL);          /* varint cut */
	CHECK_INT_EQ(decode("\x02\x00", 2, &svc), -EINVAL);          /* field 0 */
	CHECK_INT_EQ(decode("\x19" "123", 4, &svc), -EINVAL);
	CHECK_INT_EQ(decode("\x25" "12", 3, &svc), -EINVAL);
	CHECK_INT_EQ(decode("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, &svc), -EINVAL);

	uint8_t out[2];
	CHECK_INT_EQ(h2_health_response_encode(out, 1), 2);
	CHECK_MEM_EQ((const char *)out, 2, "\x08\x01");
	CHECK_INT_EQ(h2_health_response_encode(out, 3), 2);
	CHECK_MEM_EQ((const char *)out, 2, "\x08\x03");
	CHECK_INT_EQ(h2_health_response_encode(out, 0), 0);
}

int main(void)
{
	test_timeout();
	test_percent_encode();
	test_prefix();
	test_unknown();
	test_health_messages();
	return 0;
}
