/* Goal status names as stored in user_goal_progress.status and shown by the API. */
#include <string.h>

#include "dom_private.h"

static const char *const names[] = {
	[DOM_STATUS_NOT_STARTED] = "not_started",
	[DOM_STATUS_IN_PROGRESS] = "in_progress",
	[DOM_STATUS_COMPLETED] = "completed",
	[DOM_STATUS_CLAIMED] = "claimed",
};

const char *dom_status_name(enum dom_status s)
{
	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "";
	return names[s];
}

int dom_status_parse(const char *name, size_t len, enum dom_status *s)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
			*s = (enum dom_status)i;
			return 0;
		}
	}
	return -1;
}
