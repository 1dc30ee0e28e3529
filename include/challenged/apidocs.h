/*
 * The API documentation under {BASE_PATH}/apidocs/ (spec observability.md
 * §6): the Swagger 2.0 document (api.json) and a self-contained page that
 * renders it offline. Both are embedded in the binary at build time; the
 * document gets its basePath once at start-up, then serving is a lookup.
 */
#ifndef CHALLENGED_APIDOCS_H
#define CHALLENGED_APIDOCS_H

#include <stddef.h>

/*
 * Renders the document with basePath = base_path (JSON-escaped as Go's
 * encoding/json would) and the redirect target "{base_path}/apidocs/".
 * Start-up only, before any shard serves; calling it again replaces the
 * previous rendering. Returns 0, -EINVAL for a NULL base_path, or -ENOMEM.
 */
int api_apidocs_init(const char *base_path);

/*
 * Answers GET for rest, the request path (no query) after BASE_PATH, which
 * starts with "/apidocs". Returns the HTTP status and sets *content_type,
 * *body and *body_len to static storage valid until api_apidocs_fini:
 *   /apidocs/api.json                  200 application/json
 *   /apidocs/ and /apidocs/index.html  200 text/html; charset=utf-8
 *   /apidocs                           301 to api_apidocs_location(), with
 *                                      Go's redirect body (the reference's
 *                                      ServeMux redirects a subtree root)
 *   anything else                      404 text "404 page not found\n"
 * Before api_apidocs_init, api.json answers 500 "Error finding Swagger JSON
 * file\n" as the reference does when it has no document, and /apidocs 404.
 * Any shard, no locks: the state is read-only once init returned.
 */
int api_apidocs_get(const char *rest, size_t rest_len, const char **content_type,
		    const char **body, size_t *body_len);

/*
 * The Location header value for a 301 answer: "{BASE_PATH}/apidocs/", with
 * control, space and non-ASCII bytes percent-encoded. NUL-terminated; ""
 * before init. The caller appends "?query" when the request had one.
 */
const char *api_apidocs_location(void);

/* Frees the rendering; after every shard stopped. */
void api_apidocs_fini(void);

#endif
