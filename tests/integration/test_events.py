"""The Extend event services of the real server against the test cluster
(spec events.md §3, §4, §6, §7) with durable acks, the default: an OnMessage
answered OK has its effect committed, so every check reads the row in SQL
right after the call, without polling. Covers the validation of both
services (codes and messages, before the namespace check), ignored events
(foreign namespace, unknown stat code, negative values, missing, inactive
and claimed rows), our INVALID_ARGUMENT for values the progress column
cannot hold, login increments per stat code including codes shared across
event sources (§3.3), absolute and relative progress with baselines, the
rotation branches of §6.3 reached through real events on rows seeded before
the current period, and lazy materialisation of a rotated row.

The server runs the demo config plus one challenge of our own (goals that
share a stat code across sources, relative goals without rotation)."""

import concurrent.futures
import datetime as dt
import json
import os
import unittest

import grpc

import grpcutil as g
import harness
from harness import SharedServer, fetch_rows, psql, seed_rows, sql_literal, user_id
from listing import UTC, period_end

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT

YESTERDAY = "=NOW() - interval '25 hours'"      # before today's boundary, always
LAST_WEEK = "=NOW() - interval '8 days'"        # before this week's Monday, always
OLD = "2025-01-01 00:00:00"
RANGE_MSG = "latestValue and inc must be finite and within int32"

EXTRA_CHALLENGE = {
    "challengeId": "it-events",
    "name": "Event test goals",
    "goals": [
        {"goalId": "it-shared-login", "name": "Shared code, login", "eventSource": "login",
         "requirement": {"statCode": "it_shared", "operator": ">=", "targetValue": 3},
         "reward": {"type": "WALLET", "rewardId": "GOLD", "quantity": 1}},
        {"goalId": "it-shared-stat", "name": "Shared code, statistic",
         "eventSource": "statistic",
         "requirement": {"statCode": "it_shared", "operator": ">=", "targetValue": 100},
         "reward": {"type": "WALLET", "rewardId": "GOLD", "quantity": 1}},
        {"goalId": "it-rel-login", "name": "Relative logins", "eventSource": "login",
         "requirement": {"statCode": "it_rel_logins", "operator": ">=", "targetValue": 2,
                         "progressMode": "relative"},
         "reward": {"type": "WALLET", "rewardId": "GOLD", "quantity": 1}},
        {"goalId": "it-rel-stat", "name": "Relative score", "eventSource": "statistic",
         "requirement": {"statCode": "it_rel_score", "operator": ">=", "targetValue": 10,
                         "progressMode": "relative"},
         "reward": {"type": "WALLET", "rewardId": "GOLD", "quantity": 1}},
    ],
}

# Every goal a login moves in the test config: login_count is tracked by
# five login goals, daily_login by one, and each of our codes by its goals.
LOGIN_GOALS = ["challenge-001-goal-01", "daily-login", "daily-extra-challenge-001-goal-01",
               "daily-extra-challenge-001-goal-02", "daily-login-rotation", "login-today",
               "it-shared-login", "it-shared-stat", "it-rel-login"]


def events_config_path():
    """The demo config plus EXTRA_CHALLENGE, written once per run."""
    path = os.path.join(harness.tmp_dir(), "events-config.json")
    if not os.path.exists(path):
        cfg = harness.load_config()
        cfg["challenges"].append(EXTRA_CHALLENGE)
        with open(path, "w") as f:
            json.dump(cfg, f)
    return path


def goal_challenge(goal):
    for c in harness.load_config()["challenges"] + [EXTRA_CHALLENGE]:
        for x in c["goals"]:
            if x["goalId"] == goal:
                return c["challengeId"]
    raise KeyError(goal)


def seed(user, goal, **kw):
    seed_rows([dict(user_id=user, goal_id=goal, challenge_id=goal_challenge(goal), **kw)])


def db_now():
    """The database's clock (UTC wall time)."""
    text = psql("SELECT to_char(NOW() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')")[0][0]
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def db_time(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


class EventChecks:
    """Shared by the durable tests here and the buffered ones elsewhere."""

    @classmethod
    def prepare(cls):
        return dict(cls.server_env, CHALLENGE_CONFIG_PATH=events_config_path()), {}

    def setUp(self):
        self.ch = g.channel(self.server())
        self.addCleanup(self.ch.close)

    def ok(self, r):
        self.assertEqual((r.code, r.details), (OK, ""), r)
        self.assertEqual(r.data, b"", "OnMessage answers google.protobuf.Empty")

    def login(self, user, **kw):
        r = g.login(self.ch, user, **kw)
        self.ok(r)

    def stat(self, user, code, value, inc=0.0, **kw):
        r = g.stat(self.ch, user, code, value, inc, **kw)
        self.ok(r)

    def refused(self, r, message):
        self.assertEqual((r.code, r.details), (INVALID, message), r)

    def row(self, user, goal):
        return fetch_rows(user).get(goal)

    def fields(self, user, goal, *cols):
        r = self.row(user, goal)
        return tuple(r[c] for c in cols)


class EventTests(EventChecks, SharedServer, unittest.TestCase):

    # --- §3 validation --------------------------------------------------------

    def test_login_empty_user_id(self):
        for ns in ("accelbyte", "other", ""):
            with self.subTest(namespace=ns):
                self.refused(g.login(self.ch, "", namespace=ns), "userId cannot be empty")

    def test_stat_validation_messages_and_order(self):
        u = user_id("val")
        seed(u, "daily-wins")
        before = fetch_rows(u)
        # (event, expected message): validation comes before the namespace
        # check, and in the order userId, payload, statCode.
        cases = [
            (g.stat_event("", "wins", 1), "userId cannot be empty"),
            (g.stat_event("", "", 1, payload=False), "userId cannot be empty"),
            (g.stat_event("", "wins", 1, namespace="other"), "userId cannot be empty"),
            (g.stat_event(u, "wins", payload=False), "payload cannot be nil"),
            (g.stat_event(u, "wins", payload=False, namespace="other"), "payload cannot be nil"),
            (g.stat_event(u, "", 1), "statCode cannot be empty"),
            (g.stat_event(u, "", 1, namespace="other"), "statCode cannot be empty"),
        ]
        for ev, msg in cases:
            with self.subTest(message=msg, ns=ev.namespace):
                self.refused(g.unary(self.ch, g.STAT, ev), msg)
        # An empty payload message is present (not nil): only the code is missing.
        ev = g.stat_event(u, "wins", payload=False)
        ev.payload.SetInParent()
        self.refused(g.unary(self.ch, g.STAT, ev), "statCode cannot be empty")
        self.assertEqual(fetch_rows(u), before, "a refused event changes nothing")

    def test_values_outside_int32_refused(self):
        # Our choice (src/events/ingest.c): a value the INT column cannot
        # hold is refused with INVALID_ARGUMENT instead of poisoning the
        # shard's flushes (events.md §5.5), and so is a non-finite one.
        u = user_id("range")
        seed(u, "daily-wins", progress=4)
        before = fetch_rows(u)
        inf, nan = float("inf"), float("nan")
        for value, inc in [(nan, 0), (inf, 0), (2147483648.0, 0), (1e300, 0), (5, nan),
                           (5, inf), (5, -inf), (5, 2147483648.0), (5, -2147483649.0)]:
            with self.subTest(value=value, inc=inc):
                self.refused(g.stat(self.ch, u, "wins", value, inc), RANGE_MSG)
                # ... in a foreign namespace it is ignored before the check
                self.ok(g.stat(self.ch, u, "wins", value, inc, namespace="other"))
        self.assertEqual(fetch_rows(u), before)
        # the edges that do fit
        self.stat(u, "wins", 2147483647.9, 1)
        self.assertEqual(self.fields(u, "daily-wins", "progress", "status"),
                         ("2147483647", "completed"))
        self.stat(u, "wins", 7, -2147483648.5)
        self.assertEqual(self.fields(u, "daily-wins", "progress"), ("7",))

    def test_user_id_length_bound(self):
        # Our bound: ids longer than 256 bytes are refused (the column holds
        # 100 characters; an id no row can have would only fill the buffer).
        for path, ev in ((g.LOGIN, g.login_event("u" * 257)),
                         (g.STAT, g.stat_event("u" * 257, "wins", 1))):
            with self.subTest(path=path):
                self.refused(g.unary(self.ch, path, ev), "userId is longer than 256 bytes")
        self.login("u" * 256)

    def test_top_level_user_and_namespace_are_used(self):
        # §2.2: the payload's own user_id and namespace are not read
        u, other = user_id("top"), user_id("payload")
        seed(u, "daily-wins")
        seed(other, "daily-wins")
        ev = g.stat_event(u, "wins", 2, 1)
        ev.payload.user_id = other
        ev.payload.namespace = "elsewhere"
        self.ok(g.unary(self.ch, g.STAT, ev))
        self.assertEqual(self.fields(u, "daily-wins", "progress"), ("2",))
        self.assertEqual(self.fields(other, "daily-wins", "progress"), ("0",))
        ev = g.stat_event(u, "wins", 5, 1, namespace="elsewhere")
        ev.payload.namespace = "accelbyte"
        self.ok(g.unary(self.ch, g.STAT, ev))
        self.assertEqual(self.fields(u, "daily-wins", "progress"), ("2",))

    def test_malformed_message(self):
        for path in (g.LOGIN, g.STAT):
            with self.subTest(path=path):
                r = g.unary(self.ch, path, b"\x0a\xff\xff\xff")
                self.assertEqual((r.code, r.details),
                                 (INVALID, "message cannot be decoded"), r)

    # --- ignored events -------------------------------------------------------

    def test_foreign_namespace_ignored(self):
        u = user_id("ns")
        for goal in ("daily-wins", "challenge-001-goal-01", "login-today"):
            seed(u, goal, progress=1, status="in_progress", updated_at=OLD)
        before = fetch_rows(u)
        for ns in ("other", "", "Accelbyte", "accelbyte ", "accelbyte-dev"):
            with self.subTest(namespace=ns):
                self.login(u, namespace=ns)
                self.stat(u, "wins", 9, 1, namespace=ns)
        self.assertEqual(fetch_rows(u), before, "a foreign namespace changes nothing")
        self.login(u)
        self.assertEqual(self.fields(u, "challenge-001-goal-01", "progress"), ("2",))

    def test_unknown_stat_code_is_a_noop(self):
        u = user_id("unknown")
        seed(u, "daily-wins", updated_at=OLD)
        seed(u, "challenge-001-goal-01", updated_at=OLD)
        before = fetch_rows(u)
        self.stat(u, "no_such_stat", 5, 1)
        self.stat(u, "WINS", 5, 1)              # codes are case-sensitive
        # login_count is tracked by login goals only: a stat event for it
        # is a no-op (§3.3, the k6 scenarios' case)
        self.stat(u, "login_count", 5, 1)
        self.assertEqual(fetch_rows(u), before)

    def test_negative_values_skip(self):
        u = user_id("neg")
        seed(u, "daily-wins", progress=3, status="in_progress", updated_at=OLD)
        before = fetch_rows(u)
        for v in (-1, -2.7, -2147483648.0, -1e300, float("-inf")):
            with self.subTest(value=v):
                self.stat(u, "wins", v, 1)
        self.assertEqual(fetch_rows(u), before, "a negative value skips the goal")

    def test_small_negative_value_truncates_to_zero(self):
        # §3.2 step 6: truncation toward zero, so -0.5 is 0, which is not
        # negative (§4 step 2) and is applied as the absolute value 0.
        u = user_id("negzero")
        seed(u, "daily-wins", progress=3, status="in_progress")
        self.stat(u, "wins", -0.5, 0)
        self.assertEqual(self.fields(u, "daily-wins", "progress", "status"), ("0", "in_progress"))

    def test_missing_and_inactive_rows_ignored(self):
        u = user_id("inactive")
        seed(u, "daily-wins", is_active=False, progress=2, status="in_progress", updated_at=OLD)
        before = fetch_rows(u)
        self.stat(u, "wins", 9, 1)
        self.login(u)
        self.assertEqual(fetch_rows(u), before, "inactive rows are not updated")
        # events never create rows (§6 step 3: update only)
        nobody = user_id("norows")
        self.login(nobody)
        self.stat(nobody, "wins", 5, 1)
        self.stat(nobody, "kills", 5, 1)
        self.assertEqual(fetch_rows(nobody), {})

    def test_claimed_rows_frozen(self):
        u = user_id("claimed")
        # claimed, no reselection: frozen even after its period ended
        seed(u, "daily-wins", progress=1, status="claimed", completed_at=OLD, claimed_at=OLD,
             updated_at=OLD)
        seed(u, "daily-wins-no-reselect", progress=5, baseline_value=1, status="claimed",
             completed_at=OLD, claimed_at=OLD, updated_at=YESTERDAY)
        seed(u, "challenge-001-goal-01", progress=1, status="claimed", completed_at=OLD,
             claimed_at=OLD, updated_at=OLD)
        before = fetch_rows(u)
        self.stat(u, "wins", 40, 3)
        self.login(u)
        self.assertEqual(fetch_rows(u), before, "claimed rows do not move")

    # --- logins ---------------------------------------------------------------

    def test_login_adds_one_per_stat_code(self):
        u = user_id("login")
        for goal in LOGIN_GOALS:
            seed(u, goal)
        self.login(u)
        rows = fetch_rows(u)
        # one login, +1 on every goal whose code a login goal tracks, even
        # though five goals share login_count (§3.1 step 4)
        for goal in ("challenge-001-goal-01", "daily-login", "daily-extra-challenge-001-goal-01",
                     "login-today"):
            self.assertEqual((rows[goal]["progress"], rows[goal]["status"]), ("1", "completed"),
                             goal)
            self.assertEqual(rows[goal]["completed_at"], rows[goal]["updated_at"])
        self.assertEqual(self.fields(u, "daily-extra-challenge-001-goal-02", "progress", "status"),
                         ("1", "in_progress"))
        # the statistic goal sharing it_shared with a login goal takes the
        # increment too (§3.3)
        self.assertEqual(self.fields(u, "it-shared-login", "progress", "status"), ("1", "in_progress"))
        self.assertEqual(self.fields(u, "it-shared-stat", "progress", "status"), ("1", "in_progress"))
        self.login(u)
        self.assertEqual(self.fields(u, "daily-extra-challenge-001-goal-02", "progress", "status"),
                         ("2", "completed"))
        self.assertEqual(self.fields(u, "it-shared-stat", "progress"), ("2",))
        # a completed absolute goal keeps counting, its status and time stay
        first = self.row(u, "challenge-001-goal-01")
        self.login(u)
        after = self.row(u, "challenge-001-goal-01")
        self.assertEqual((after["progress"], after["status"], after["completed_at"]),
                         ("3", "completed", first["completed_at"]))

    def test_concurrent_logins_add_up(self):
        # Calls that reach the buffer between two flushes merge into one
        # entry whose increments add up (§5.2): N logins are +N.
        u = user_id("many")
        seed(u, "challenge-001-goal-01")
        seed(u, "daily-extra-challenge-001-goal-02")
        n = 40
        chans = [g.channel(self.server(), **{"grpc.channel_id": i}) for i in range(4)]
        try:
            futs = [g.unary_future(chans[i % 4], g.LOGIN, g.login_event(u)) for i in range(n)]
            results = [g.outcome(f) for f in futs]
        finally:
            for c in chans:
                c.close()
        self.assertEqual({(r.code, r.details) for r in results}, {(OK, "")})
        self.assertEqual(self.fields(u, "challenge-001-goal-01", "progress", "status"),
                         (str(n), "completed"))
        self.assertEqual(self.fields(u, "daily-extra-challenge-001-goal-02", "progress"), (str(n),))

    def test_shared_code_stat_updates_login_goal(self):
        # §3.3: a stat event for a code some statistic goal tracks sets the
        # absolute value on the login goal of that code too.
        u = user_id("shared")
        seed(u, "it-shared-login", progress=1, status="in_progress")
        seed(u, "it-shared-stat", progress=1, status="in_progress")
        self.stat(u, "it_shared", 7.9, 2)
        self.assertEqual(self.fields(u, "it-shared-login", "progress", "status"), ("7", "completed"))
        self.assertEqual(self.fields(u, "it-shared-stat", "progress", "status"), ("7", "in_progress"))
        self.login(u)
        self.assertEqual(self.fields(u, "it-shared-login", "progress"), ("8",))
        self.assertEqual(self.fields(u, "it-shared-stat", "progress"), ("8",))

    # --- statistic, absolute --------------------------------------------------

    def test_stat_absolute_latest_wins(self):
        u = user_id("abs")
        seed(u, "daily-10-kills")
        seed(u, "daily-20-kills")
        self.stat(u, "enemy_kills", 4.9, 1)
        self.assertEqual(self.fields(u, "daily-10-kills", "progress", "status", "completed_at"),
                         ("4", "in_progress", ""))
        self.stat(u, "enemy_kills", 15, 11)
        ten, twenty = self.row(u, "daily-10-kills"), self.row(u, "daily-20-kills")
        self.assertEqual((ten["progress"], ten["status"]), ("15", "completed"))
        self.assertEqual(ten["completed_at"], ten["updated_at"])
        self.assertEqual((twenty["progress"], twenty["status"]), ("15", "in_progress"))
        # a lower value overwrites; completed is sticky (§6.4)
        self.stat(u, "enemy_kills", 3, 0)
        self.assertEqual(self.fields(u, "daily-10-kills", "progress", "status", "completed_at"),
                         ("3", "completed", ten["completed_at"]))
        self.assertEqual(self.fields(u, "daily-20-kills", "progress", "status"), ("3", "in_progress"))
        # zero still moves a not_started row to in_progress (§6.4)
        v = user_id("abs0")
        seed(v, "daily-wins")
        self.stat(v, "wins", 0, 0)
        self.assertEqual(self.fields(v, "daily-wins", "progress", "status"), ("0", "in_progress"))
        # the value is exactly the target: completed
        self.stat(v, "wins", 1, 1)
        self.assertEqual(self.fields(v, "daily-wins", "progress", "status"), ("1", "completed"))

    # --- relative -------------------------------------------------------------

    def test_relative_stat_without_rotation(self):
        u = user_id("relstat")
        seed(u, "it-rel-stat")
        self.stat(u, "it_rel_score", 100, 40)
        # first event: baseline = value - inc, never completes on it (§6.4)
        self.assertEqual(self.fields(u, "it-rel-stat", "progress", "baseline_value", "status"),
                         ("100", "60", "in_progress"))
        self.stat(u, "it_rel_score", 69, 9)
        self.assertEqual(self.fields(u, "it-rel-stat", "progress", "baseline_value", "status"),
                         ("69", "60", "in_progress"))
        self.stat(u, "it_rel_score", 70, 1)
        row = self.row(u, "it-rel-stat")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"]),
                         ("70", "60", "completed"))
        self.assertEqual(row["completed_at"], row["updated_at"])

    def test_relative_login_without_rotation(self):
        u = user_id("rellogin")
        seed(u, "it-rel-login", progress=5)
        self.login(u)
        self.assertEqual(self.fields(u, "it-rel-login", "progress", "baseline_value", "status"),
                         ("6", "5", "in_progress"))
        self.login(u)
        self.assertEqual(self.fields(u, "it-rel-login", "progress", "baseline_value", "status"),
                         ("7", "5", "completed"))

    def test_worked_example_daily_reset(self):
        # events.md §7's worked example, with "the next day" made by seeding
        # the row's updated_at before today's boundary.
        u = user_id("worked")
        seed(u, "daily-challenges-goal-01")
        self.stat(u, "kills", 100, 1)
        self.assertEqual(self.fields(u, "daily-challenges-goal-01", "progress", "baseline_value",
                                     "status"), ("100", "99", "in_progress"))
        self.stat(u, "kills", 110, 10)
        done = self.row(u, "daily-challenges-goal-01")
        self.assertEqual((done["progress"], done["baseline_value"], done["status"]),
                         ("110", "99", "completed"))
        self.assertEqual(done["completed_at"], done["updated_at"])
        psql("UPDATE user_goal_progress SET updated_at = NOW() - interval '25 hours', "
             f"expires_at = NULL WHERE user_id = {sql_literal(u)}")
        now = db_now()
        self.stat(u, "kills", 113, 3)
        row = self.row(u, "daily-challenges-goal-01")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"], row["completed_at"]),
                         ("113", "110", "in_progress", ""))
        self.assertEqual(row["expires_at"], db_time(period_end("daily", now)))
        self.stat(u, "kills", 123, 10)
        row = self.row(u, "daily-challenges-goal-01")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"]),
                         ("123", "110", "completed"))
        self.assertEqual(row["completed_at"], row["updated_at"])

    # --- rotation branches (§6.3) through events -------------------------------

    def test_rotated_reset_completes_on_increment(self):
        # relative + stale + reset: new baseline newP - inc; completed when
        # inc >= target (daily-login-rotation: target 1)
        u = user_id("rotlogin")
        seed(u, "daily-login-rotation", progress=5, baseline_value=3, status="completed",
             completed_at=OLD, updated_at=YESTERDAY)
        self.login(u)
        row = self.row(u, "daily-login-rotation")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"]),
                         ("6", "5", "completed"))
        self.assertEqual(row["completed_at"], row["updated_at"], "a new completion time")
        # daily-challenges-goal-01 (target 10): a stale row whose first
        # event of the period carries inc 10 completes at once
        v = user_id("rotinc")
        seed(v, "daily-challenges-goal-01", progress=50, baseline_value=45, status="in_progress",
             updated_at=YESTERDAY)
        self.stat(v, "kills", 70, 10)
        row = self.row(v, "daily-challenges-goal-01")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"]),
                         ("70", "60", "completed"))
        self.assertEqual(row["completed_at"], row["updated_at"])

    def test_rotated_claimed_with_reselection_restarts(self):
        u = user_id("resel")
        seed(u, "daily-challenges-goal-02", progress=9, baseline_value=5, status="claimed",
             completed_at=OLD, claimed_at=OLD, updated_at=YESTERDAY, expires_at=OLD)
        now = db_now()
        self.stat(u, "wins", 12, 2)
        row = self.row(u, "daily-challenges-goal-02")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"],
                          row["completed_at"], row["claimed_at"]),
                         ("12", "10", "not_started", "", ""))
        self.assertEqual(row["expires_at"], db_time(period_end("daily", now)))
        # later events of the same period: ordinary relative updates
        self.stat(u, "wins", 12, 0)
        self.assertEqual(self.fields(u, "daily-challenges-goal-02", "progress", "baseline_value",
                                     "status"), ("12", "10", "in_progress"))
        self.stat(u, "wins", 13, 1)
        row = self.row(u, "daily-challenges-goal-02")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"]),
                         ("13", "10", "completed"))
        self.assertEqual(row["completed_at"], row["updated_at"])

    def test_claimed_with_reselection_same_period_keeps_claimed(self):
        u = user_id("reselnow")
        seed(u, "daily-challenges-goal-02", progress=9, baseline_value=5, status="claimed",
             completed_at=OLD, claimed_at=OLD, updated_at="=NOW() - interval '1 second'")
        before = self.row(u, "daily-challenges-goal-02")
        self.stat(u, "wins", 11, 2)
        row = self.row(u, "daily-challenges-goal-02")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"],
                          row["completed_at"], row["claimed_at"]),
                         ("11", "5", "claimed", before["completed_at"], before["claimed_at"]))
        self.assertGreater(row["updated_at"], before["updated_at"])

    def test_rotated_without_reset_carries_over(self):
        # weekly-wins-no-reset (target 5): baseline and completion carry
        # over; a stale not-completed row may complete with no time (quirk)
        u = user_id("noreset")
        seed(u, "weekly-wins-no-reset", progress=10, baseline_value=2, status="completed",
             completed_at=OLD, updated_at=LAST_WEEK)
        now = db_now()
        self.stat(u, "wins", 12, 2)
        row = self.row(u, "weekly-wins-no-reset")
        self.assertEqual((row["progress"], row["baseline_value"], row["status"],
                          row["completed_at"]), ("12", "2", "completed", OLD))
        self.assertEqual(row["expires_at"], db_time(period_end("weekly", now)))
        v = user_id("noreset2")
        seed(v, "weekly-wins-no-reset", progress=4, baseline_value=2, status="in_progress",
             updated_at=LAST_WEEK)
        self.stat(v, "wins", 9, 1)
        self.assertEqual(self.fields(v, "weekly-wins-no-reset", "progress", "baseline_value",
                                     "status", "completed_at"), ("9", "2", "completed", ""))

    def test_expires_at_written_when_missing(self):
        # not stale and no stored expiry: the flush writes the period end;
        # a stored expiry is kept while the row is not stale
        u = user_id("expiry")
        seed(u, "weekly-challenges-goal-01", expires_at=None)
        seed(u, "monthly-kills-goal", expires_at="2099-01-01 00:00:00")
        now = db_now()
        self.stat(u, "kills", 3, 1)
        self.assertEqual(self.fields(u, "weekly-challenges-goal-01", "expires_at"),
                         (db_time(period_end("weekly", now)),))
        self.assertEqual(self.fields(u, "monthly-kills-goal", "expires_at"),
                         ("2099-01-01 00:00:00",))

    def test_one_event_many_rows(self):
        # a wins event moves every goal tracking wins, each by its own rules
        u = user_id("fanout")
        seed(u, "daily-wins")                                             # absolute, target 1
        seed(u, "daily-challenges-goal-02")                               # relative, fresh
        seed(u, "weekly-challenges-goal-02", progress=3, baseline_value=1,
             status="in_progress")                                        # relative, target 20
        seed(u, "daily-wins-no-reselect", is_active=False)                # ignored
        self.stat(u, "wins", 30, 4)
        rows = fetch_rows(u)
        self.assertEqual((rows["daily-wins"]["progress"], rows["daily-wins"]["status"]),
                         ("30", "completed"))
        self.assertEqual(tuple(rows["daily-challenges-goal-02"][c]
                               for c in ("progress", "baseline_value", "status")),
                         ("30", "26", "in_progress"))
        self.assertEqual(tuple(rows["weekly-challenges-goal-02"][c]
                               for c in ("progress", "baseline_value", "status")),
                         ("30", "1", "completed"))
        self.assertEqual(rows["daily-wins-no-reselect"]["status"], "not_started")

    def test_lazy_materialisation_of_a_rotated_row(self):
        # Nothing rewrites a row at the boundary: the list shows a stale
        # rotating row as 0 / not_started while the table still holds the
        # old period; the first event of the new period writes it.
        srv = self.server()
        u = user_id("lazy")
        seed(u, "daily-challenges-goal-01", progress=40, baseline_value=20, status="completed",
             completed_at=OLD, updated_at=YESTERDAY)
        stored = self.row(u, "daily-challenges-goal-01")

        def listed():
            r = srv.list(u)
            self.assertEqual(r.status, 200)
            for c in json.loads(r.body)["challenges"]:
                for x in c["goals"]:
                    if x["goalId"] == "daily-challenges-goal-01":
                        return x["progress"], x["status"]

        self.assertEqual(listed(), (0, "not_started"))
        self.assertEqual(self.row(u, "daily-challenges-goal-01"), stored, "reads never write")
        self.stat(u, "kills", 45, 5)
        self.assertEqual(self.fields(u, "daily-challenges-goal-01", "progress", "baseline_value",
                                     "status", "completed_at"), ("45", "40", "in_progress", ""))
        self.assertEqual(listed(), (5, "in_progress"))


class EventConcurrencyTests(EventChecks, SharedServer, unittest.TestCase):
    """Many users at once on two shards: every acknowledged effect is in the
    table the moment its call returns."""

    def test_parallel_users_each_acknowledged_effect_committed(self):
        users = [user_id("par") for _ in range(60)]
        seed_rows([dict(user_id=u, goal_id="daily-10-kills") for u in users] +
                  [dict(user_id=u, goal_id="challenge-001-goal-01") for u in users])

        def one(i):
            u = users[i]
            ch = self.ch
            r1 = g.stat(ch, u, "enemy_kills", i, 1)
            got1 = fetch_rows(u)["daily-10-kills"]["progress"]
            r2 = g.login(ch, u)
            got2 = fetch_rows(u)["challenge-001-goal-01"]["progress"]
            return (r1.code, got1, r2.code, got2)

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            out = list(ex.map(one, range(len(users))))
        for i, (c1, p1, c2, p2) in enumerate(out):
            self.assertEqual((c1, p1, c2, p2), (OK, str(i), OK, "1"), users[i])


if __name__ == "__main__":
    unittest.main()
