/*
 * The policy of AGS Platform reward grants, without any I/O (rewards.md
 * §2-§4): the HTTP call a goal's reward becomes, the local pre-checks, the
 * classification of a failed attempt, and the two nested retry layers as a
 * state machine over a millisecond clock. The caller owns the sockets and
 * timers; everything here is plain data, safe on any thread.
 *
 * The error texts follow the reference's Go error chains, so a log line
 * reads the same: e.g. "reward grant failed after 3 retries: failed after 4
 * attempts: [POST ...][503] ..." or "context cancelled during retry: context
 * deadline exceeded".
 */
#ifndef CHALLENGED_CLIENT_AGS_POLICY_H
#define CHALLENGED_CLIENT_AGS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/buf.h"
#include "challenged/domain.h"

/* Inner layer: per grant call. */
#define CLIENT_AGS_ATTEMPTS 4
#define CLIENT_AGS_INNER_TIMEOUT_MS 10000u
/* Both layers back off 500 ms, 1 s, 2 s. */
#define CLIENT_AGS_BACKOFF_MS 500u
#define CLIENT_AGS_BACKOFF_MAX_MS 2000u
/* Outer layer: calls of the inner layer per claim. */
#define CLIENT_AGS_CALLS 4

/* Room for the longest text of a retry: prefixes plus a full error text. */
#define CLIENT_AGS_WHY_MAX 1024

/* One HTTP call to AGS Platform for a reward. */
struct client_ags_call {
	const char *method; /* "POST" (ITEM) or "PUT" (WALLET), static */
	const char *route;  /* the path template, static, for error texts */
	struct buf path;    /* base path + escaped path, no query */
	struct buf body;    /* JSON request body */
};

/*
 * Builds the call for goal's reward (rewards.md §2.1/§2.2) into c, which the
 * caller releases with client_ags_call_fini whatever the result. base_path is
 * the path of AB_BASE_URL ("" or "/prefix", a trailing '/' is dropped) and is
 * prepended; namespace_ and user_id and the currency code are escaped as Go's
 * url.PathEscape does. Returns 0; -EINVAL when a pre-check refuses the
 * reward (ITEM quantity outside int32: "bad request: quantity N out of range
 * for int32"; WALLET amount < 0: "bad request: amount N cannot be negative";
 * unknown type: "unsupported reward type: <t>") with the text in why_buf;
 * -ENOMEM when a buffer could not grow.
 */
int client_ags_call_build(struct client_ags_call *c, const char *base_path,
			  const char *namespace_, const char *user_id,
			  const struct dom_goal *goal, char *why_buf, size_t why_len);
void client_ags_call_fini(struct client_ags_call *c);

/*
 * An attempt's failure. status is the HTTP status, or 0 for none (transport
 * error: timeout, refused, TLS, DNS); text is the SDK-like description
 * ("[POST /path][503] body" for a status, the transport error otherwise).
 */
struct client_ags_error {
	int status;
	char text[512];
};

/*
 * Fills e for an answered attempt: the reference SDK's text form
 * "[<method> <route>][<status>] <body>", with the body cut to fit and
 * control bytes shown as '?', so logs read like the reference's.
 */
void client_ags_error_http(struct client_ags_error *e, const struct client_ags_call *c,
			   int status, const char *body, size_t body_len);
/* Fills e for an attempt that got no HTTP status; text is copied (cut to fit). */
void client_ags_error_transport(struct client_ags_error *e, const char *text);

/*
 * The status §3.1 finds for e: e->status when set, else the first
 * "[ddd]" in the text; -1 when there is none.
 */
int client_ags_error_status(const struct client_ags_error *e);
/* §3.2 for a status (>= 0; without one the text decides, see below). */
bool client_ags_status_retryable(int status);
/*
 * §3.2: by the status when there is one, else false when the lower-cased
 * text names a client error ("bad request", "not found", ...), true for
 * anything else (timeouts, connection refused, DNS, ...).
 */
bool client_ags_retryable(const struct client_ags_error *e);
/* §3.2's message rule alone, on any text (case-insensitive). */
bool client_ags_text_retryable(const char *text);
/*
 * §3.1's error text for e into out (always NUL-terminated, cut to fit):
 * "bad request: ", "authentication failed: ", "forbidden: ", "resource not
 * found: " + text for 400/401/403/404, the text alone for other statuses,
 * "failed to grant item reward: " / "failed to credit wallet: " + text
 * without a status.
 */
void client_ags_error_describe(const struct client_ags_error *e, enum dom_reward_type type,
			       char *out, size_t len);

enum client_ags_step {
	CLIENT_AGS_ATTEMPT,   /* make one HTTP attempt now, within the budget */
	CLIENT_AGS_WAIT,      /* wait *wait_ms, then client_ags_retry_resume */
	CLIENT_AGS_SUCCEEDED, /* the reward was granted */
	CLIENT_AGS_FAILED,    /* give up; client_ags_retry_why says why */
};

enum client_ags_phase {
	CLIENT_AGS_PHASE_ATTEMPT,    /* an attempt is running */
	CLIENT_AGS_PHASE_INNER_WAIT, /* backoff between attempts of one call */
	CLIENT_AGS_PHASE_OUTER_WAIT, /* backoff between grant calls */
	CLIENT_AGS_PHASE_DONE,
};

/*
 * The retry state of one grant (rewards.md §4). Embedded by the caller,
 * needs no fini. The claim deadline bounds everything; each inner call has
 * its own deadline 10 s after it began, never later than the claim's.
 */
struct client_ags_retry {
	enum client_ags_phase phase;
	enum dom_reward_type type;
	bool local;             /* pre-check failed: every call fails with local_why */
	unsigned attempts;      /* HTTP attempts, all calls */
	unsigned call_attempts; /* HTTP attempts of the current inner call */
	unsigned calls;         /* inner calls begun */
	uint64_t inner_deadline_ms;
	uint64_t claim_deadline_ms;
	int inner_status;       /* status under the inner call's error, -1 none */
	char last[CLIENT_AGS_WHY_MAX];  /* last attempt's error, described */
	char inner[CLIENT_AGS_WHY_MAX]; /* the inner call's error */
	char why[CLIENT_AGS_WHY_MAX];   /* final text once FAILED */
	char local_why[256];
};

/*
 * Starts a grant of a reward of the given type at now_ms; claim_deadline_ms
 * is the claim's overall deadline. Returns CLIENT_AGS_ATTEMPT, or
 * CLIENT_AGS_FAILED when the deadline has already passed.
 */
enum client_ags_step client_ags_retry_start(struct client_ags_retry *r,
					    enum dom_reward_type type, uint64_t now_ms,
					    uint64_t claim_deadline_ms);
/*
 * Starts a grant whose request client_ags_call_build refused with why
 * (copied into r): as in the reference, the pre-check fails each
 * inner call before any attempt, and the outer layer classifies the text
 * (§3.2 message rule: "bad request: ..." is final at once, "unsupported
 * reward type: ..." is retried). Never returns CLIENT_AGS_ATTEMPT.
 */
enum client_ags_step client_ags_retry_start_local(struct client_ags_retry *r,
						  const char *why, uint64_t now_ms,
						  uint64_t claim_deadline_ms,
						  uint64_t *wait_ms);
/* How long the attempt about to run may take: until the inner deadline. */
uint64_t client_ags_retry_budget_ms(const struct client_ags_retry *r, uint64_t now_ms);
/*
 * The attempt ended at now_ms; e is NULL on success (2xx). Returns
 * CLIENT_AGS_SUCCEEDED, CLIENT_AGS_FAILED, or CLIENT_AGS_WAIT with *wait_ms
 * (already cut to end at the deadline that interrupts it).
 */
enum client_ags_step client_ags_retry_after(struct client_ags_retry *r, uint64_t now_ms,
					    const struct client_ags_error *e,
					    uint64_t *wait_ms);
/*
 * A wait ended at now_ms: CLIENT_AGS_ATTEMPT, CLIENT_AGS_WAIT again (an
 * interrupted inner call backs off in the outer layer) or CLIENT_AGS_FAILED
 * when a deadline has passed.
 */
enum client_ags_step client_ags_retry_resume(struct client_ags_retry *r, uint64_t now_ms,
					     uint64_t *wait_ms);
/* The final error text once FAILED, "" before. */
const char *client_ags_retry_why(const struct client_ags_retry *r);
/* The last attempt's error (as described by §3.1), "" when none failed. */
const char *client_ags_retry_last_error(const struct client_ags_retry *r);
/* HTTP attempts made so far, all calls. */
unsigned client_ags_retry_attempts(const struct client_ags_retry *r);

#endif
