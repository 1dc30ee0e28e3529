"""The event flush statement (sql/events_flush.sql, the server's EVT_FLUSH_SQL)
against a real Postgres: every branch of spec events.md §6.3, the
consequences of §6.4, the worked example of §7, and our clamping departures.

The statement runs as the server runs it (full-line comments stripped, as
src/events/embed_sql.py embeds it), prepared and executed with array
literals written by the same rules as src/events/params.c, in a schema of its
own that holds a user_goal_progress made by the real migration; nothing else
in the database is touched and no server is started. Stored times are fixed
(2024), so rotation boundaries are chosen relative to them and the tests do
not depend on today's date; a time written by the statement's NOW() is
recognised by being equal to the row's new updated_at."""

import csv
import io
import os
import subprocess
import unittest

import harness

REPO = harness.REPO
SCHEMA = f"evt_flush_{harness.RUN_ID}"

T0 = "2024-03-10 12:00:00"          # when seeded rows were last written
DAY_START = "2024-03-10 00:00:00"   # the current period began before T0: not stale
NEXT_DAY = "2024-03-11 00:00:00"    # the period began after T0: stale
DAY_AFTER = "2024-03-12 00:00:00"
OLD_DONE = "2024-03-09 08:00:00"    # an earlier completion / claim time
EXPIRY = "2024-03-11 00:00:00"


def flush_sql():
    with open(os.path.join(REPO, "sql", "events_flush.sql"), encoding="utf-8") as f:
        lines = [ln.strip() for ln in f]
    return "\n".join(ln for ln in lines if ln and not ln.startswith("--"))


def run_sql(sql):
    """Runs sql (any number of statements) in one psql session with the
    test schema first on the search path; returns CSV rows ('' is NULL)."""
    env = dict(os.environ)
    env.setdefault("PGHOST", "127.0.0.1")
    env.setdefault("PGUSER", "postgres")
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    script = f"SET search_path TO {SCHEMA};\n{sql}\n"
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-t", "-f", "-"],
                       input=script.encode(), env=env, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"psql failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return list(csv.reader(io.StringIO(p.stdout.decode())))


def q(s):
    return "'" + s.replace("'", "''") + "'"


# --- array literals, by the rules of src/events/params.c ---------------------

def quoted(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def arr(items, fmt):
    return "{" + ",".join("NULL" if v is None else fmt(v) for v in items) + "}"


def row(user, goal, *, progress=None, mode="absolute", inc=0, target=1, boundary=None,
        expires=None, resel=False, reset=False, challenge="c"):
    """One copy row (§5.5 step 4)."""
    return dict(user=user, goal=goal, progress=progress, mode=mode, inc=inc, target=target,
                boundary=boundary, expires=expires, resel=resel, reset=reset,
                challenge=challenge)


def params(rows):
    cols = [
        arr([r["user"] for r in rows], quoted),
        arr([r["goal"] for r in rows], quoted),
        arr([r["progress"] for r in rows], str),
        arr([r["mode"] for r in rows], str),
        arr([r["inc"] for r in rows], str),
        arr([r["target"] for r in rows], str),
        arr([r["boundary"] for r in rows], quoted),
        arr([r["expires"] for r in rows], quoted),
        arr([r["resel"] for r in rows], lambda b: "t" if b else "f"),
        arr([r["reset"] for r in rows], lambda b: "t" if b else "f"),
        arr([r["challenge"] for r in rows], quoted),
    ]
    return ", ".join(q(c) for c in cols)


def flush(rows):
    run_sql(f"PREPARE evt_flush AS {flush_sql()};\nEXECUTE evt_flush({params(rows)});")


# --- rows ---------------------------------------------------------------------

COLUMNS = ("progress", "status", "baseline_value", "completed_at", "claimed_at",
           "updated_at", "expires_at", "is_active")


def seed(user, goal, **cols):
    full = {"challenge_id": "c", "namespace": "accelbyte", "progress": 0,
            "status": "not_started", "completed_at": None, "claimed_at": None,
            "created_at": T0, "updated_at": T0, "is_active": True, "assigned_at": T0,
            "expires_at": None, "baseline_value": None}
    full.update(cols)
    names = ["user_id", "goal_id"] + list(full)
    values = [user, goal] + list(full.values())
    run_sql(f"INSERT INTO user_goal_progress ({', '.join(names)}) VALUES "
            f"({', '.join(harness.sql_literal(v) for v in values)})")


def touch(user, goal, updated_at, completed_at=False):
    """Moves the row's last write (and optionally its completion) in time."""
    sets = [f"updated_at = {q(updated_at)}"]
    if completed_at is not False:
        sets.append(f"completed_at = {harness.sql_literal(completed_at)}")
    run_sql(f"UPDATE user_goal_progress SET {', '.join(sets)} "
            f"WHERE user_id = {q(user)} AND goal_id = {q(goal)}")


def fetch(user, goal):
    """The row as a dict of strings ('' for NULL), or None."""
    rows = run_sql(f"SELECT {', '.join(COLUMNS)} FROM user_goal_progress "
                   f"WHERE user_id = {q(user)} AND goal_id = {q(goal)}")
    if not rows:
        return None
    r = dict(zip(COLUMNS, rows[0]))
    r["progress"] = int(r["progress"])
    r["baseline_value"] = None if r["baseline_value"] == "" else int(r["baseline_value"])
    return r


class FlushSqlTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(REPO, "sql", "001_create_user_goal_progress.up.sql")) as f:
            migration = f.read()
        env_sql = f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};"
        harness.psql(env_sql)
        run_sql(migration)

    @classmethod
    def tearDownClass(cls):
        harness.psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")

    def user(self, tag):
        return harness.user_id(tag)

    # The statement's NOW(): equal to the new updated_at, later than T0.
    def assertNow(self, r, col):
        self.assertNotEqual(r["updated_at"], T0)
        self.assertEqual(r[col], r["updated_at"], f"{col} should be NOW()")

    def assertUntouched(self, r, **want):
        self.assertEqual(r["updated_at"], T0)
        for k, v in want.items():
            self.assertEqual(r[k], v, k)

    def expect(self, r, **want):
        got = {k: r[k] for k in want}
        self.assertEqual(got, want)

    # --- §6.1 eligibility ----------------------------------------------------

    def test_only_existing_active_unfrozen_rows_change(self):
        u = self.user("elig")
        seed(u, "active")
        seed(u, "inactive", is_active=False, progress=4)
        seed(u, "claimed", status="claimed", progress=9, completed_at=OLD_DONE,
             claimed_at=OLD_DONE)
        flush([row(u, "active", progress=3, target=10),
               row(u, "inactive", progress=5, target=10),
               row(u, "claimed", progress=20, target=10),
               row(u, "missing", progress=7, target=10),
               row("nobody", "active", inc=1)])
        self.expect(fetch(u, "active"), progress=3, status="in_progress")
        self.assertNotEqual(fetch(u, "active")["updated_at"], T0)
        self.assertUntouched(fetch(u, "inactive"), progress=4, status="not_started")
        # claimed without reselection is frozen, even with rotation data
        self.assertUntouched(fetch(u, "claimed"), progress=9, status="claimed",
                             completed_at=OLD_DONE, claimed_at=OLD_DONE)
        flush([row(u, "claimed", progress=20, target=10, boundary=NEXT_DAY, expires=DAY_AFTER,
                   mode="relative", reset=True)])
        self.assertUntouched(fetch(u, "claimed"), progress=9, status="claimed")
        # no INSERT path: missing rows are not created
        self.assertIsNone(fetch(u, "missing"))
        self.assertIsNone(fetch("nobody", "active"))

    def test_empty_batch(self):
        flush([])

    # --- absolute goals -------------------------------------------------------

    def test_absolute_stat_last_write_wins_and_completed_is_sticky(self):
        u, g = self.user("abs"), "g"
        seed(u, g)
        flush([row(u, g, progress=5, inc=1, target=10)])
        r = fetch(u, g)
        self.expect(r, progress=5, status="in_progress", baseline_value=None, completed_at="",
                    expires_at="")
        flush([row(u, g, progress=12, inc=0, target=10)])
        r = fetch(u, g)
        self.expect(r, progress=12, status="completed", baseline_value=None)
        self.assertNow(r, "completed_at")
        done = r["completed_at"]
        # a lower value still overwrites progress; status and time stay
        flush([row(u, g, progress=3, target=10)])
        r = fetch(u, g)
        self.expect(r, progress=3, status="completed", completed_at=done)

    def test_absolute_exactly_target_completes(self):
        u = self.user("abs-eq")
        seed(u, "g", progress=9)
        flush([row(u, "g", progress=10, target=10)])
        r = fetch(u, "g")
        self.expect(r, progress=10, status="completed")
        self.assertNow(r, "completed_at")

    def test_absolute_completion_keeps_an_existing_completed_at(self):
        # branch 5 of completed_at needs a NULL stored time
        u = self.user("abs-kept")
        seed(u, "g", status="in_progress", completed_at=OLD_DONE)
        flush([row(u, "g", progress=10, target=10)])
        self.expect(fetch(u, "g"), status="completed", completed_at=OLD_DONE)

    def test_login_increments_add_to_stored_progress(self):
        u = self.user("login")
        seed(u, "g", progress=2, status="in_progress")
        flush([row(u, "g", inc=2, target=5)])
        self.expect(fetch(u, "g"), progress=4, status="in_progress", completed_at="")
        flush([row(u, "g", inc=1, target=5)])
        r = fetch(u, "g")
        self.expect(r, progress=5, status="completed")
        self.assertNow(r, "completed_at")

    def test_not_started_becomes_in_progress_on_any_event(self):
        u = self.user("zero")
        seed(u, "abs")
        seed(u, "rel")
        seed(u, "login")
        flush([row(u, "abs", progress=0, target=1),
               row(u, "rel", progress=0, mode="relative", target=1),
               row(u, "login", inc=0, target=1)])
        for g in ("abs", "rel", "login"):
            self.expect(fetch(u, g), progress=0, status="in_progress")
        self.assertEqual(fetch(u, "rel")["baseline_value"], 0)

    # --- relative goals, no rotation -----------------------------------------

    def test_relative_first_event_sets_baseline_and_never_completes(self):
        u = self.user("rel")
        seed(u, "login")
        seed(u, "stat")
        # §6.4: relative login goal, target 1
        flush([row(u, "login", inc=1, mode="relative", target=1),
               row(u, "stat", progress=100, inc=1, mode="relative", target=1)])
        self.expect(fetch(u, "login"), progress=1, baseline_value=0, status="in_progress",
                    completed_at="")
        self.expect(fetch(u, "stat"), progress=100, baseline_value=99, status="in_progress")
        flush([row(u, "login", inc=1, mode="relative", target=1),
               row(u, "stat", progress=100, inc=0, mode="relative", target=1)])
        r = fetch(u, "login")
        self.expect(r, progress=2, baseline_value=0, status="completed")
        self.assertNow(r, "completed_at")
        # 100 - 99 = 1 >= 1
        self.expect(fetch(u, "stat"), progress=100, baseline_value=99, status="completed")

    def test_relative_not_stale_keeps_an_existing_completed_at(self):
        u = self.user("rel-kept")
        seed(u, "g", status="in_progress", progress=5, baseline_value=5,
             completed_at=OLD_DONE)
        flush([row(u, "g", progress=20, inc=1, mode="relative", target=10,
                   boundary=DAY_START, expires=EXPIRY, reset=True)])
        self.expect(fetch(u, "g"), status="completed", completed_at=OLD_DONE, baseline_value=5)

    def test_relative_below_target_with_baseline(self):
        u = self.user("rel-below")
        seed(u, "g", status="in_progress", progress=5, baseline_value=5)
        flush([row(u, "g", progress=14, inc=1, mode="relative", target=10)])
        self.expect(fetch(u, "g"), progress=14, baseline_value=5, status="in_progress",
                    completed_at="")

    # --- rotation -------------------------------------------------------------

    def test_worked_example_daily_reset(self):
        """§7: daily, reset, target 10."""
        u, g = self.user("example"), "kills"
        rot = dict(mode="relative", target=10, reset=True)
        seed(u, g)
        flush([row(u, g, progress=100, inc=1, boundary=DAY_START, expires=NEXT_DAY, **rot)])
        r = fetch(u, g)
        self.expect(r, progress=100, baseline_value=99, status="in_progress", completed_at="",
                    expires_at=NEXT_DAY)
        touch(u, g, "2024-03-10 13:00:00")
        flush([row(u, g, progress=110, inc=10, boundary=DAY_START, expires=NEXT_DAY, **rot)])
        r = fetch(u, g)
        self.expect(r, progress=110, baseline_value=99, status="completed",
                    expires_at=NEXT_DAY)
        self.assertNow(r, "completed_at")
        # next day
        touch(u, g, "2024-03-10 14:00:00", completed_at="2024-03-10 14:00:00")
        flush([row(u, g, progress=113, inc=3, boundary=NEXT_DAY, expires=DAY_AFTER, **rot)])
        self.expect(fetch(u, g), progress=113, baseline_value=110, status="in_progress",
                    completed_at="", expires_at=DAY_AFTER)
        touch(u, g, "2024-03-11 10:00:00")
        flush([row(u, g, progress=123, inc=10, boundary=NEXT_DAY, expires=DAY_AFTER, **rot)])
        r = fetch(u, g)
        self.expect(r, progress=123, baseline_value=110, status="completed",
                    expires_at=DAY_AFTER)
        self.assertNow(r, "completed_at")

    def test_first_login_after_boundary_takes_the_rotation_branch(self):
        # §6.4: B NULL but stale: baseline reset, completed because inc >= 1
        u = self.user("rot-login")
        seed(u, "g")
        flush([row(u, "g", inc=1, mode="relative", target=1, boundary=NEXT_DAY,
                   expires=DAY_AFTER, reset=True)])
        r = fetch(u, "g")
        self.expect(r, progress=1, baseline_value=0, status="completed", expires_at=DAY_AFTER)
        self.assertNow(r, "completed_at")

    def test_stale_reset_judges_by_inc_only(self):
        u = self.user("rot-reset")
        seed(u, "below", status="completed", progress=50, baseline_value=10,
             completed_at=OLD_DONE)
        seed(u, "above", status="in_progress", progress=50, baseline_value=10)
        seed(u, "kept-claim", status="completed", progress=50, baseline_value=10,
             completed_at=OLD_DONE, claimed_at=OLD_DONE)
        rot = dict(mode="relative", target=5, boundary=NEXT_DAY, expires=DAY_AFTER, reset=True)
        # newP - B would complete both; only inc counts after the boundary
        flush([row(u, "below", progress=80, inc=4, **rot),
               row(u, "above", progress=80, inc=5, **rot),
               row(u, "kept-claim", progress=80, inc=4, **rot)])
        self.expect(fetch(u, "below"), progress=80, baseline_value=76, status="in_progress",
                    completed_at="")
        r = fetch(u, "above")
        self.expect(r, progress=80, baseline_value=75, status="completed")
        self.assertNow(r, "completed_at")
        # a row breaking check_claimed_implies_completed keeps its time
        # instead of failing the whole batch (our departure)
        self.expect(fetch(u, "kept-claim"), status="in_progress", completed_at=OLD_DONE,
                    claimed_at=OLD_DONE)

    def test_stale_without_reset_carries_over(self):
        u = self.user("rot-keep")
        seed(u, "done", status="completed", progress=50, baseline_value=10,
             completed_at=OLD_DONE)
        seed(u, "quirk", status="in_progress", progress=12, baseline_value=10)
        seed(u, "below", status="in_progress", progress=12, baseline_value=10)
        seed(u, "nobase", status="not_started")
        seed(u, "done-low", status="completed", progress=50, baseline_value=10,
             completed_at=OLD_DONE)
        rot = dict(mode="relative", target=10, boundary=NEXT_DAY, expires=DAY_AFTER,
                   reset=False)
        flush([row(u, "done", progress=51, inc=1, **rot),
               row(u, "done-low", progress=15, inc=1, **rot),
               row(u, "quirk", progress=25, inc=1, **rot),
               row(u, "below", progress=15, inc=1, **rot),
               row(u, "nobase", progress=40, inc=30, **rot)])
        self.expect(fetch(u, "done"), progress=51, baseline_value=10, status="completed",
                    completed_at=OLD_DONE, expires_at=DAY_AFTER)
        # quirk: completed with completed_at left NULL (status branch 7)
        self.expect(fetch(u, "quirk"), progress=25, baseline_value=10, status="completed",
                    completed_at="")
        self.expect(fetch(u, "below"), progress=15, baseline_value=10, status="in_progress")
        # completed carries over although 15 - 10 is below the target
        self.expect(fetch(u, "done-low"), progress=15, status="completed",
                    completed_at=OLD_DONE)
        # the quirk's NULL completed_at survives later events of the period
        touch(u, "quirk", "2024-03-11 10:00:00")
        flush([row(u, "quirk", progress=30, inc=1, **rot)])
        self.expect(fetch(u, "quirk"), progress=30, status="completed", completed_at="")
        # branch 4 of baseline comes before branch 5: it stays NULL, and
        # without a baseline nothing completes
        self.expect(fetch(u, "nobase"), progress=40, baseline_value=None,
                    status="in_progress")

    def test_claimed_with_reselection(self):
        u = self.user("resel")
        claimed = dict(status="claimed", progress=30, baseline_value=20,
                       completed_at=OLD_DONE, claimed_at=OLD_DONE, expires_at=EXPIRY)
        seed(u, "fresh", **claimed)
        seed(u, "stale", **claimed)
        rot = dict(mode="relative", target=5, expires=DAY_AFTER, resel=True, reset=True)
        flush([row(u, "fresh", progress=40, inc=2, boundary=DAY_START, **rot),
               row(u, "stale", progress=40, inc=8, boundary=NEXT_DAY, **rot)])
        # not yet stale: still claimed, progress moves, times stay
        r = fetch(u, "fresh")
        self.expect(r, progress=40, baseline_value=20, status="claimed",
                    completed_at=OLD_DONE, claimed_at=OLD_DONE, expires_at=EXPIRY)
        self.assertNotEqual(r["updated_at"], T0)
        # first event after the boundary: not_started (even with inc >= T),
        # baseline reset, completion and claim cleared
        self.expect(fetch(u, "stale"), progress=40, baseline_value=32, status="not_started",
                    completed_at="", claimed_at="", expires_at=DAY_AFTER)
        # the reselected row then progresses normally
        touch(u, "stale", "2024-03-11 10:00:00")
        flush([row(u, "stale", progress=45, inc=5, boundary=NEXT_DAY, **rot)])
        r = fetch(u, "stale")
        self.expect(r, progress=45, baseline_value=32, status="completed", claimed_at="")
        self.assertNow(r, "completed_at")

    def test_claimed_without_times_keeps_them(self):
        # completed_at branch 2 ("claimed: unchanged") ahead of the
        # completion branches, for a claimed row written by hand
        u = self.user("resel-notime")
        seed(u, "g", status="claimed", progress=3)
        flush([row(u, "g", progress=9, target=5, boundary=DAY_START, resel=True)])
        self.expect(fetch(u, "g"), progress=9, status="claimed", completed_at="",
                    claimed_at="")

    def test_claimed_absolute_with_reselection_flag(self):
        # reselection on an absolute row (not produced by a valid config):
        # baseline stays, status not_started once stale
        u = self.user("resel-abs")
        seed(u, "g", status="claimed", progress=3, completed_at=OLD_DONE, claimed_at=OLD_DONE)
        flush([row(u, "g", progress=9, target=5, boundary=NEXT_DAY, resel=True)])
        self.expect(fetch(u, "g"), progress=9, baseline_value=None, status="not_started",
                    completed_at="", claimed_at="")

    def test_expires_at(self):
        u = self.user("expiry")
        seed(u, "unset")
        seed(u, "set", expires_at=EXPIRY)
        seed(u, "stale", expires_at=EXPIRY)
        seed(u, "plain", expires_at=EXPIRY)
        rot = dict(mode="relative", target=100, reset=True)
        flush([row(u, "unset", progress=1, boundary=DAY_START, expires=NEXT_DAY, **rot),
               row(u, "set", progress=1, boundary=DAY_START, expires=DAY_AFTER, **rot),
               row(u, "stale", progress=1, boundary=NEXT_DAY, expires=DAY_AFTER, **rot),
               row(u, "plain", progress=1, target=100)])
        self.assertEqual(fetch(u, "unset")["expires_at"], NEXT_DAY)
        self.assertEqual(fetch(u, "set")["expires_at"], EXPIRY)
        self.assertEqual(fetch(u, "stale")["expires_at"], DAY_AFTER)
        self.assertEqual(fetch(u, "plain")["expires_at"], EXPIRY)

    def test_boundary_equal_to_last_write_is_not_stale(self):
        u = self.user("edge")
        seed(u, "g", status="completed", progress=50, baseline_value=10,
             completed_at=OLD_DONE, updated_at=DAY_START)
        flush([row(u, "g", progress=51, inc=1, mode="relative", target=5,
                   boundary=DAY_START, expires=NEXT_DAY, reset=True)])
        self.expect(fetch(u, "g"), status="completed", baseline_value=10,
                    completed_at=OLD_DONE)

    # --- our departures: nothing can fail the batch -------------------------

    def test_clamping_keeps_the_batch_alive(self):
        u = self.user("clamp")
        seed(u, "sum", progress=2147483600, status="in_progress")
        seed(u, "big", status="in_progress")
        seed(u, "hugeinc", progress=5, status="in_progress")
        seed(u, "negative", progress=3, status="in_progress")
        seed(u, "base-high", status="in_progress")
        seed(u, "base-low", status="in_progress")
        seed(u, "plain")
        flush([row(u, "sum", inc=1000, target=10**12),
               row(u, "big", progress=9999999999, target=5),
               row(u, "hugeinc", inc=9223372036854775807, target=10**12),
               row(u, "negative", inc=-10, target=1),
               row(u, "base-high", progress=100, inc=-9223372036854775808, mode="relative",
                   target=1),
               row(u, "base-low", progress=0, inc=2147483647 * 3, mode="relative", target=1),
               row(u, "plain", progress=4, target=10)])
        self.expect(fetch(u, "sum"), progress=2147483647, status="in_progress")
        self.expect(fetch(u, "big"), progress=2147483647, status="completed")
        self.expect(fetch(u, "hugeinc"), progress=2147483647)
        self.expect(fetch(u, "negative"), progress=0, status="in_progress")
        # newP - inc with inc clamped to int32: 100 + 2^31 -> INT_MAX
        self.expect(fetch(u, "base-high"), progress=100, baseline_value=2147483647)
        self.expect(fetch(u, "base-low"), progress=0, baseline_value=-2147483647)
        self.expect(fetch(u, "plain"), progress=4, status="in_progress")

    def test_user_ids_needing_quotes(self):
        u = self.user("q") + ' a"b\\c,{d} NULL'
        seed(u, "g:x")
        seed("NULL", "g:x")
        seed("", "g:x")
        flush([row(u, "g:x", progress=7, target=10), row("", "g:x", inc=2, target=10)])
        self.expect(fetch(u, "g:x"), progress=7, status="in_progress")
        self.expect(fetch("", "g:x"), progress=2, status="in_progress")
        self.assertUntouched(fetch("NULL", "g:x"), progress=0)

    def test_large_batch(self):
        u = self.user("many")
        n = 10000
        run_sql(f"INSERT INTO user_goal_progress (user_id, goal_id, challenge_id, namespace, "
                f"updated_at) SELECT {q(u)} || '-' || i, 'g', 'c', 'ns', {q(T0)} "
                f"FROM generate_series(1, {n}) AS i")
        flush([row(f"{u}-{i}", "g", progress=i, target=5000) for i in range(1, n + 1)])
        counts = run_sql(f"SELECT status, count(*), sum(progress) FROM user_goal_progress "
                         f"WHERE user_id LIKE {q(u + '-%')} GROUP BY status ORDER BY status")
        self.assertEqual(counts, [["completed", str(n - 4999), str(sum(range(5000, n + 1)))],
                                  ["in_progress", "4999", str(sum(range(1, 5000)))]])


if __name__ == "__main__":
    unittest.main()
