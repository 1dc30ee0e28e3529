/*
 * Base URLs of the services we call (AB_BASE_URL and friends) and path
 * segment escaping. Parsed once at start-up into fixed-size fields the
 * connection code uses as they are; pure, no allocation but the caller's buf.
 */
#include "http_codec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int bad(const char **why, const char *msg)
{
	*why = msg;
	return -EINVAL;
}

static bool is_unreserved(unsigned char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* RFC 3986 pchar and '/', with percent-escapes well formed. */
static bool path_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len || !is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
				return false;
			i += 2;
		} else if (!is_unreserved(c) && !strchr("!$&'()*+,;=:@/", c)) {
			return false;
		}
	}
	return true;
}

/* Plain http only where nothing leaves the machine. */
static bool is_loopback(const char *host, bool v6)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (v6)
		return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	if (!strcasecmp(host, "localhost"))
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* Host at s[0..len) (brackets included for IPv6) into u->host; *v6 says which. */
static int parse_host(const char *s, size_t len, struct client_url *u, bool *v6,
		      const char **why)
{
	struct in6_addr a6;

	*v6 = len && s[0] == '[';
	if (*v6) {
		if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof(u->host))
			return bad(why, "malformed IPv6 address in base URL");
		memcpy(u->host, s + 1, len - 2);
		u->host[len - 2] = '\0';
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return bad(why, "malformed IPv6 address in base URL");
		return 0;
	}
	if (!len)
		return bad(why, "base URL has no host");
	if (len >= sizeof(u->host))
		return bad(why, "base URL host too long");
	for (size_t i = 0; i < len; i++)
		if (!is_unreserved((unsigned char)s[i]) || s[i] == '~')
			return bad(why, "invalid character in base URL host");
	memcpy(u->host, s, len);
	u->host[len] = '\0';
	return 0;
}

static int parse_port(const char *s, size_t len, uint16_t *port, const char **why)
{
	unsigned v = 0;

	if (!len || len > 5)
		return bad(why, "invalid port in base URL");
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return bad(why, "invalid port in base URL");
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return bad(why, "invalid port in base URL");
	*port = (uint16_t)v;
	return 0;
}

int client_url_parse(const char *url, struct client_url *u, const char **why)
{
	const char *p = url;
	bool v6;
	int rc;

	*u = (struct client_url){ 0 };
	if (!strncasecmp(p, "https://", 8)) {
		u->tls = true;
		p += 8;
	} else if (!strncasecmp(p, "http://", 7)) {
		p += 7;
	} else {
		return bad(why, "base URL must start with https://");
	}
	if (strpbrk(p, "?#"))
		return bad(why, "base URL may not have a query or fragment");

	size_t alen = strcspn(p, "/");
	if (memchr(p, '@', alen))
		return bad(why, "base URL may not hold user-info");
	/* The port colon is the last one, and only outside IPv6 brackets. */
	const char *colon = NULL;
	for (const char *c = p + alen; c > p && c[-1] != ']'; c--)
		if (c[-1] == ':') {
			colon = c - 1;
			break;
		}
	size_t hlen = colon ? (size_t)(colon - p) : alen;
	if ((rc = parse_host(p, hlen, u, &v6, why)) < 0)
		return rc;
	u->port = u->tls ? 443 : 80;
	if (colon && (rc = parse_port(colon + 1, alen - hlen - 1, &u->port, why)) < 0)
		return rc;
	if (!u->tls && !is_loopback(u->host, v6))
		return bad(why, "plain http:// is allowed only for localhost; use https://");

	const char *path = p + alen;
	size_t plen = strlen(path);
	while (plen && path[plen - 1] == '/')
		plen--;
	if (!path_ok(path, plen))
		return bad(why, "invalid character in base URL path");
	if (plen >= sizeof(u->base_path))
		return bad(why, "base URL path too long");
	memcpy(u->base_path, path, plen);
	u->base_path[plen] = '\0';

	/* Cannot truncate: host is < 256 bytes, the rest at most 8. */
	if (u->port == (u->tls ? 443 : 80))
		snprintf(u->host_header, sizeof(u->host_header), v6 ? "[%s]" : "%s", u->host);
	else
		snprintf(u->host_header, sizeof(u->host_header), v6 ? "[%s]:%u" : "%s:%u",
			 u->host, (unsigned)u->port);
	return 0;
}

int client_path_escape(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* Go's url.PathEscape keeps these reserved bytes too (RFC 3986 3.3). */
		if (is_unreserved(c) || (c && strchr("$&+:=@", c))) {
			buf_append_char(out, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_append(out, e, 3);
		}
	}
	return out->failed ? -ENOMEM : 0;
}
