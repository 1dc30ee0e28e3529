"""The test oracle for GET /v1/challenges (spec api.md §5.0, §5.1): rotation
periods, display rules and the exact key sequence of the optimized handler's
body, written from the spec independently of the server's code."""

import calendar
import datetime as dt
import json

UTC = dt.timezone.utc


class Obj(list):
    """A JSON object as its (key, value) pairs in order, duplicates kept."""

    def get_all(self, key):
        return [v for k, v in self if k == key]

    def last(self, key):
        vals = self.get_all(key)
        if not vals:
            raise KeyError(key)
        return vals[-1]

    def keys(self):
        return [k for k, _ in self]


def parse_pairs(body):
    return json.loads(body, object_pairs_hook=Obj)


def compact(v):
    """Compact JSON text of a parse_pairs() tree (for the byte-level check)."""
    if isinstance(v, Obj):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + compact(x) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ",".join(compact(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def rfc3339(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else ""


def parse_db_time(text):
    """A TIMESTAMP as psql prints it (UTC wall clock), or None."""
    if not text:
        return None
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=UTC)


def period_start(schedule, now):
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if schedule == "daily":
        return day
    if schedule == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if schedule == "monthly":
        return day.replace(day=1)
    return None


def period_end(schedule, now):
    start = period_start(schedule, now)
    if start is None:
        return None
    if schedule == "daily":
        return start + dt.timedelta(days=1)
    if schedule == "weekly":
        return start + dt.timedelta(days=7)
    days = calendar.monthrange(start.year, start.month)[1]
    return start + dt.timedelta(days=days)


def rotation(goal):
    r = goal.get("rotation") or {}
    return r if r.get("enabled") else None


def next_expiry(goal, now):
    r = rotation(goal)
    return period_end(r.get("schedule"), now) if r else None


def display(goal, row, now):
    """(progress, status) of a stored row per §5.0."""
    progress = int(row["progress"])
    if (goal["requirement"].get("progressMode") or "absolute") == "relative":
        base = row.get("baseline_value")
        progress = 0 if base in (None, "") else max(progress - int(base), 0)
    status = row["status"]
    r = rotation(goal)
    if not r:
        return progress, status
    start = period_start(r.get("schedule"), now)
    updated = parse_db_time(row["updated_at"])
    if start is None or not updated < start:
        return progress, status
    expiry = r.get("onExpiry") or {}
    if not expiry.get("resetProgress"):
        return progress, status
    if status == "claimed" and not expiry.get("allowReselection"):
        return progress, "claimed"
    return 0, "not_started"


def expected_dynamic(goal, row, now, active_only):
    """The dynamic fields of one goal: dict of key -> value, where
    expiresInSeconds is the expiry instant (checked against a time window)."""
    if row is not None and active_only and row["is_active"] != "t":
        row = None
    if row is None:
        return {"progress": 0, "status": "not_started", "completedAt": "", "claimedAt": "",
                "isActive": False, "expiresAt": "", "expiresInSeconds": None}
    progress, status = display(goal, row, now)
    exp = next_expiry(goal, now)
    return {"progress": progress, "status": status,
            "completedAt": rfc3339(parse_db_time(row["completed_at"])),
            "claimedAt": rfc3339(parse_db_time(row["claimed_at"])),
            "isActive": row["is_active"] == "t",
            "expiresAt": rfc3339(exp), "expiresInSeconds": exp}


def expected_keys(challenge_or_goal, kind, rotating=False, static_seconds=True):
    """The key sequence of a challenge or goal object (duplicates included)."""
    x = challenge_or_goal
    if kind == "challenge":
        keys = ["challengeId", "name"]
        if x.get("description"):
            keys.append("description")
        return keys + ["goals"]
    keys = ["goalId", "name"]
    if x.get("description"):
        keys.append("description")
    keys += ["requirement", "reward"]
    if x.get("prerequisites"):
        keys.append("prerequisites")
    keys.append("status")
    if x.get("prerequisites"):
        keys.append("locked")
    if rotating:
        keys.append("expiresAt")
        if static_seconds:
            keys.append("expiresInSeconds")
    return keys + ["progress", "status", "completedAt", "claimedAt", "isActive", "expiresAt",
                   "expiresInSeconds"]
