/*
 * The bytes embed.py generates from api.json and index.html (not
 * NUL-terminated). The JSON comes in two pieces that surround the value of
 * its basePath member, so start-up can put BASE_PATH there.
 */
#ifndef CHALLENGED_API_APIDOCS_EMBEDDED_H
#define CHALLENGED_API_APIDOCS_EMBEDDED_H

#include <stddef.h>

extern const char api_apidocs_json_head[];
extern const size_t api_apidocs_json_head_len;
extern const char api_apidocs_json_tail[];
extern const size_t api_apidocs_json_tail_len;
extern const char api_apidocs_html[];
extern const size_t api_apidocs_html_len;

#endif
