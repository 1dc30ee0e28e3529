/*
 * Base-URL parsing (schemes, ports, prefixes, IPv6 literals, the loopback
 * rule for plain http, everything refused) and path-segment escaping
 * checked against Go's url.PathEscape output.
 */
#include "http_codec.h"

#include <errno.h>

#include "check.h"

static struct client_url ok(const char *url)
{
	struct client_url u;
	const char *why = NULL;
	int rc = client_url_parse(url, &u, &why);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", url, why ? why : "(no why)");
	CHECK_INT_EQ(rc, 0);
	return u;
}

static void expect(const char *url, bool tls, const char *host, unsigned port,
		   const char *host_header, const char *base_path)
{
	struct client_url u = ok(url);
	CHECK_INT_EQ(u.tls, tls);
	CHECK_STR_EQ(u.host, host);
	CHECK_INT_EQ(u.port, port);
	CHECK_STR_EQ(u.host_header, host_header);
	CHECK_STR_EQ(u.base_path, base_path);
}

static const char *refused(const char *url)
{
	struct client_url u;
	const char *why = NULL;
	int rc = client_url_parse(url, &u, &why);
	if (rc != -EINVAL)
		fprintf(stderr, "accepted: %s\n", url);
	CHECK_INT_EQ(rc, -EINVAL);
	CHECK(why != NULL);
	return why;
}

static void test_accepted(void)
{
	expect("https://demo.accelbyte.io", true, "demo.accelbyte.io", 443,
	       "demo.accelbyte.io", "");
	expect("https://demo.accelbyte.io/", true, "demo.accelbyte.io", 443,
	       "demo.accelbyte.io", "");
	expect("HTTPS://Demo.Example.com:8443/prefix/v1//", true, "Demo.Example.com", 8443,
	       "Demo.Example.com:8443", "/prefix/v1");
	expect("https://example.com:443/a", true, "example.com", 443, "example.com", "/a");
	expect("https://10.0.0.1:1/x%2Fy", true, "10.0.0.1", 1, "10.0.0.1:1", "/x%2Fy");
	expect("https://[2001:db8::1]:9000/p", true, "2001:db8::1", 9000,
	       "[2001:db8::1]:9000", "/p");
	expect("https://[::1]", true, "::1", 443, "[::1]", "");
	expect("http://[::1]:8080/api", false, "::1", 8080, "[::1]:8080", "/api");
	expect("http://localhost:8080", false, "localhost", 8080, "localhost:8080", "");
	expect("http://LOCALHOST", false, "LOCALHOST", 80, "LOCALHOST", "");
	expect("http://127.0.0.1:65535/", false, "127.0.0.1", 65535, "127.0.0.1:65535", "");
	expect("http://127.10.20.30:80/a-b_c.d~e", false, "127.10.20.30", 80, "127.10.20.30",
	       "/a-b_c.d~e");
}

static void test_refused(void)
{
	const char *plain = "plain http:// is allowed only for localhost; use https://";

	CHECK_STR_EQ(refused("http://example.com"), plain);
	CHECK_STR_EQ(refused("http://example.com:80/x"), plain);
	CHECK_STR_EQ(refused("http://128.0.0.1"), plain);
	CHECK_STR_EQ(refused("http://[::2]"), plain);
	CHECK_STR_EQ(refused("http://localhost.example.com"), plain);
	CHECK_STR_EQ(refused("http://127.1"), plain);

	static const char *const junk[] = {
		"", "example.com", "ftp://example.com", "https:/example.com", "https://",
		"https:///path", "https://:443", "https://user@example.com",
		"https://user:pw@example.com/", "https://example.com?x=1",
		"https://example.com/a?b", "https://example.com/#frag",
		"https://example.com:", "https://example.com:0", "https://example.com:65536",
		"https://example.com:123456", "https://example.com:8a", "https://example.com:-1",
		"https://exa mple.com", "https://exa%41mple.com", "https://[::1",
		"https://[]", "https://[zz::1]", "https://::1", "https://[::1]x",
		"https://[::1]:", "https://example.com/a b", "https://example.com/%zz",
		"https://example.com/%4", "https://example.com/\x01",
		"https://example.com/caf\xc3\xa9",
	};
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
		refused(junk[i]);

	char long_host[300];
	memset(long_host, 'a', sizeof(long_host));
	memcpy(long_host, "https://", 8);
	long_host[sizeof(long_host) - 1] = '\0';
	refused(long_host);
	char long_path[600] = "https://h/";
	memset(long_path + 10, 'p', sizeof(long_path) - 11);
	long_path[sizeof(long_path) - 1] = '\0';
	refused(long_path);
}

static void check_escape(const char *in, size_t len, const char *want)
{
	struct buf out;
	buf_init(&out);
	buf_append_str(&out, "/x/");
	CHECK_INT_EQ(client_path_escape(&out, in, len), 0);
	CHECK_MEM_EQ(out.data + 3, out.len - 3, want);
	CHECK_MEM_EQ(out.data, 3, "/x/");
	buf_fini(&out);
}

static void test_escape(void)
{
	/* Expected values are Go's url.PathEscape output for the same input. */
	check_escape("a b/c?d", 7, "a%20b%2Fc%3Fd");
	check_escape("user-1_2.3~4", 12, "user-1_2.3~4");
	check_escape("$&+:=@", 6, "$&+:=@");
	check_escape(";,#%[]!*'()\"<>\\^`{|}", 20,
		     "%3B%2C%23%25%5B%5D%21%2A%27%28%29%22%3C%3E%5C%5E%60%7B%7C%7D");
	check_escape("caf\xc3\xa9", 5, "caf%C3%A9");
	check_escape("\0\n\x7f", 3, "%00%0A%7F");
	check_escape("", 0, "");

	struct buf out;
	buf_init(&out);
	out.failed = true;
	CHECK_INT_EQ(client_path_escape(&out, "a", 1), -ENOMEM);
	buf_fini(&out);
}

int main(void)
{
	test_accepted();
	test_refused();
	test_escape();
	return 0;
}
