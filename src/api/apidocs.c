/*
 * {BASE_PATH}/apidocs/: renders the embedded Swagger document once at
 * start-up and answers lookups for it and the docs page. Written only by
 * api_apidocs_init/fini on the main thread; shards only read.
 */
#include "challenged/apidocs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "apidocs/embedded.h"
#include "challenged/buf.h"
#include "challenged/json.h"

static const char type_json[] = "application/json";
static const char type_html[] = "text/html; charset=utf-8";
static const char type_text[] = "text/plain; charset=utf-8";
static const char not_found[] = "404 page not found\n";
static const char no_document[] = "Error finding Swagger JSON file\n";

static struct {
	char *json;
	size_t json_len;
	char *location;        /* NUL-terminated */
	char *redirect;        /* body of the 301 */
	size_t redirect_len;
} docs;

/* Percent-encodes what may not appear raw in a header value. */
static void append_location(struct buf *b, const char *base)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)base; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f) {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_append(b, esc, 3);
		} else {
			buf_append_char(b, (char)*p);
		}
	}
	buf_append_str(b, "/apidocs/");
}

/* The escapes of Go's htmlEscape, which its redirect body uses. */
static void append_html(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_append_str(b, "&amp;"); break;
		case '<': buf_append_str(b, "&lt;"); break;
		case '>': buf_append_str(b, "&gt;"); break;
		case '"': buf_append_str(b, "&#34;"); break;
		case '\'': buf_append_str(b, "&#39;"); break;
		default: buf_append_char(b, *s);
		}
	}
}

int api_apidocs_init(const char *base_path)
{
	if (!base_path)
		return -EINVAL;
	struct buf json, loc, redirect;
	buf_init(&json);
	buf_init(&loc);
	buf_init(&redirect);

	buf_append(&json, api_apidocs_json_head, api_apidocs_json_head_len);
	json_write_string(&json, base_path, strlen(base_path));
	buf_append(&json, api_apidocs_json_tail, api_apidocs_json_tail_len);
	append_location(&loc, base_path);
	buf_append_char(&loc, '\0');
	buf_append_str(&redirect, "<a href=\"");
	if (!loc.failed)
		append_html(&redirect, loc.data);
	buf_append_str(&redirect, "\">Moved Permanently</a>.\n\n");
	if (json.failed || loc.failed || redirect.failed) {
		buf_fini(&json);
		buf_fini(&loc);
		buf_fini(&redirect);
		return -ENOMEM;
	}

	api_apidocs_fini();
	docs.json = buf_steal(&json, &docs.json_len);
	size_t loc_len;
	docs.location = buf_steal(&loc, &loc_len);
	docs.redirect = buf_steal(&redirect, &docs.redirect_len);
	return 0;
}

void api_apidocs_fini(void)
{
	free(docs.json);
	free(docs.location);
	free(docs.redirect);
	memset(&docs, 0, sizeof(docs));
}

const char *api_apidocs_location(void)
{
	return docs.location ? docs.location : "";
}

static int answer(int status, const char *type, const char *body, size_t len,
		  const char **content_type, const char **out, size_t *out_len)
{
	*content_type = type;
	*out = body;
	*out_len = len;
	return status;
}

static bool is(const char *rest, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(rest, lit, len) == 0;
}

int api_apidocs_get(const char *rest, size_t rest_len, const char **content_type,
		    const char **body, size_t *body_len)
{
	if (is(rest, rest_len, "/apidocs/api.json")) {
		if (!docs.json)
			return answer(500, type_text, no_document, sizeof(no_document) - 1,
				      content_type, body, body_len);
		return answer(200, type_json, docs.json, docs.json_len, content_type, body, body_len);
	}
	if (is(rest, rest_len, "/apidocs/") || is(rest, rest_len, "/apidocs/index.html"))
		return answer(200, type_html, api_apidocs_html, api_apidocs_html_len,
			      content_type, body, body_len);
	if (is(rest, rest_len, "/apidocs") && docs.redirect)
		return answer(301, type_html, docs.redirect, docs.redirect_len,
			      content_type, body, body_len);
	return answer(404, type_text, not_found, sizeof(not_found) - 1, content_type, body, body_len);
}
