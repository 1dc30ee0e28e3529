/* Event messages: exact bytes against hand-encoded vectors, and a walk of the tags. */
#include "proto.c"

#include "check.h"

static void check_bytes(const char *got, int len, const char *want, size_t want_len)
{
	CHECK_INT_EQ(len, want_len);
	CHECK(memcmp(got, want, want_len) == 0);
}

static void test_login(void)
{
	char out[256];
	/* Fields 2 (tag 0x12), 5 (0x2a), 9 (0x4a): 3 + 6 + 13 = 22 bytes. */
	static const char want[] = "\x00\x00\x00\x00\x16"
				   "\x12\x01" "1"
				   "\x2a\x04" "test"
				   "\x4a\x0b" "user-000001";

	check_bytes(out, lg_pb_login(out, sizeof(out), "1", "test", "user-000001"), want,
		    sizeof(want) - 1);
	CHECK_INT_EQ(lg_pb_login(out, 10, "1", "test", "user-000001"), -ENOBUFS);
	/* Empty strings are left out, as proto3 encoders do. */
	check_bytes(out, lg_pb_login(out, sizeof(out), "", "", "u"), "\x00\x00\x00\x00\x03\x4a\x01u", 8);
}

static void test_stat(void)
{
	char out[256];
	/* payload {2 "wins", 4 double 42.0} = 6 + 9 = 15 bytes; 42.0 = 0x4045000000000000. */
	static const char want[] = "\x00\x00\x00\x00\x1e"
				   "\x0a\x0f" "\x12\x04" "wins" "\x21\x00\x00\x00\x00\x00\x00\x45\x40"
				   "\x12\x02" "id"
				   "\x2a\x04" "test"
				   "\x4a\x01" "u";

	check_bytes(out, lg_pb_stat(out, sizeof(out), "id", "test", "u", "wins", 42.0), want,
		    sizeof(want) - 1);
	/* Zero is the default value: no field 4. */
	static const char zero[] = "\x00\x00\x00\x00\x0b"
				   "\x0a\x06" "\x12\x04" "wins"
				   "\x4a\x01" "u";

	check_bytes(out, lg_pb_stat(out, sizeof(out), "", "", "u", "wins", 0), zero, sizeof(zero) - 1);
	CHECK_INT_EQ(lg_pb_stat(out, 20, "id", "test", "u", "wins", 42.0), -ENOBUFS);
}

/* Longer strings take two-byte lengths; the prefix still matches the body. */
static void test_long(void)
{
	static char user[300], out[1024];
	const unsigned char *u;
	int n;

	memset(user, 'x', sizeof(user) - 1);
	n = lg_pb_stat(out, sizeof(out), "id", "test", user, "enemy_kills", 999);
	CHECK(n > 0);
	u = (const unsigned char *)out;
	CHECK_INT_EQ((size_t)u[1] << 24 | (size_t)u[2] << 16 | (size_t)u[3] << 8 | u[4], n - 5);
	/* The last field: tag 0x4a, varint 299 = ab 02, then the string. */
	CHECK_INT_EQ(u[n - 299 - 3], 0x4a);
	CHECK_INT_EQ(u[n - 299 - 2], 0xab);
	CHECK_INT_EQ(u[n - 299 - 1], 0x02);
}

int main(void)
{
	test_login();
	test_stat();
	test_long();
	return 0;
}
