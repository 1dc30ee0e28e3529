"""GET {BASE_PATH}/v1/challenges with auth off (spec api.md §5.1): every
configured challenge and goal in config order, the caller's progress from
seeded rows, rotation display, active_only, and the raw body's exact key
sequence including the reference's duplicate keys."""

import concurrent.futures
import datetime as dt
import time
import unittest

from harness import SharedServer, fetch_rows, load_config, seed_rows, user_id
from listing import (UTC, Obj, compact, expected_dynamic, expected_keys, next_expiry,
                     parse_pairs, period_start, rotation, rfc3339)

STALE_DAY = "=NOW() - interval '25 hours'"
STALE_WEEK = "=NOW() - interval '8 days'"


def seed_mixed(user):
    """One row of every interesting kind across the demo config."""
    seed_rows([
        # absolute goals
        dict(user_id=user, goal_id="complete-tutorial", progress=1, status="claimed",
             completed_at="2025-06-15 11:02:40", claimed_at="2025-06-15 11:05:00"),
        dict(user_id=user, goal_id="kill-10-snowmen", progress=5, status="in_progress"),
        dict(user_id=user, goal_id="login-today", progress=1, status="completed",
             completed_at="2025-06-15 11:02:40.789", is_active=False),
        dict(user_id=user, goal_id="challenge-001-goal-01", progress=0, status="not_started"),
        dict(user_id=user, goal_id="daily-login", progress=1, status="completed",
             completed_at="2025-01-31 23:59:59"),
        # relative, rotating daily
        dict(user_id=user, goal_id="daily-challenges-goal-01", progress=48, baseline_value=40,
             status="in_progress"),
        dict(user_id=user, goal_id="daily-challenges-goal-02", progress=10, baseline_value=5,
             status="completed", completed_at="=NOW() - interval '26 hours'",
             updated_at=STALE_DAY),
        dict(user_id=user, goal_id="daily-wins-no-reselect", progress=7, baseline_value=2,
             status="claimed", completed_at="=NOW() - interval '27 hours'",
             claimed_at="=NOW() - interval '26 hours'", updated_at=STALE_DAY),
        dict(user_id=user, goal_id="daily-login-rotation", progress=3, status="in_progress"),
        # weekly: no reset keeps progress across the boundary
        dict(user_id=user, goal_id="weekly-wins-no-reset", progress=24, baseline_value=20,
             status="in_progress", updated_at=STALE_WEEK),
        dict(user_id=user, goal_id="weekly-challenges-goal-01", progress=150, baseline_value=20,
             status="completed", completed_at="=NOW()", is_active=False),
        # monthly: a baseline above progress clamps at 0
        dict(user_id=user, goal_id="monthly-kills-goal", progress=10, baseline_value=50,
             status="in_progress"),
    ])


class ListChecks:
    """assert_list: the whole response against the oracle in listing.py."""

    def fetch(self, user, query=""):
        t0 = time.time()
        r = self.server().list(user, query)
        t1 = time.time()
        return r, t0, t1

    def assert_list(self, resp, user, active_only, t0, t1):
        srv = self.server()
        self.assertEqual(resp.status, 200, resp.body[:300])
        self.assertEqual(resp.header("Content-Type"), "application/json")
        body = resp.body.decode("utf-8")
        self.assertFalse(body.endswith("\n"), "the list body has no trailing newline")
        doc = parse_pairs(body)
        self.assertEqual(compact(doc), body, "body is compact JSON (no spaces, keys as parsed)")
        self.assertIsInstance(doc, Obj)
        self.assertEqual(doc.keys(), ["challenges"])

        now0 = dt.datetime.fromtimestamp(t0, UTC)
        now1 = dt.datetime.fromtimestamp(t1, UTC)
        rows = fetch_rows(user) if user is not None else {}
        cfg = load_config()["challenges"]
        got = doc.last("challenges")
        self.assertEqual([c.last("challengeId") for c in got], [c["challengeId"] for c in cfg])
        for ccfg, c in zip(cfg, got):
            self.assertEqual(c.keys(), expected_keys(ccfg, "challenge"), ccfg["challengeId"])
            self.assertEqual(c.last("name"), ccfg["name"])
            if ccfg.get("description"):
                self.assertEqual(c.last("description"), ccfg["description"])
            goals = c.last("goals")
            self.assertEqual([g.last("goalId") for g in goals], [g["goalId"] for g in ccfg["goals"]])
            for gcfg, g in zip(ccfg["goals"], goals):
                with self.subTest(goal=gcfg["goalId"]):
                    self.assert_goal(g, gcfg, rows.get(gcfg["goalId"]), active_only,
                                     now0, now1, t0, t1, srv)

    def assert_goal(self, g, gcfg, row, active_only, now0, now1, t0, t1, srv):
        gid = gcfg["goalId"]
        rotating = rotation(gcfg) is not None
        static_exp = None
        static_secs_present = True
        if rotating:
            # Pre-rendered at start-up, between spawn and readiness.
            candidates = {next_expiry(gcfg, dt.datetime.fromtimestamp(x, UTC))
                          for x in (srv.started_at, srv.ready_at)}
            static_exp = max(candidates)
            # Omitted only when zero, i.e. started right on a boundary.
            if static_exp.timestamp() - srv.started_at < 2:
                static_secs_present = "expiresInSeconds" in g.keys()[:-1]
        self.assertEqual(g.keys(), expected_keys(gcfg, "goal", rotating, static_secs_present), gid)
        self.assertEqual(g.last("goalId"), gid)
        self.assertEqual(g.last("name"), gcfg["name"])
        if gcfg.get("description"):
            self.assertEqual(g.last("description"), gcfg["description"])
        req = gcfg["requirement"]
        self.assertEqual(g.last("requirement"), Obj([("statCode", req["statCode"]),
                                                     ("operator", req["operator"]),
                                                     ("targetValue", req["targetValue"])]))
        rew = gcfg["reward"]
        self.assertEqual(g.last("reward"), Obj([("type", rew["type"]),
                                               ("rewardId", rew["rewardId"]),
                                               ("quantity", rew["quantity"])]))
        if gcfg.get("prerequisites"):
            self.assertEqual(g.last("prerequisites"), gcfg["prerequisites"])
            self.assertIs(g.last("locked"), True)
        # static occurrences come first
        self.assertEqual(g.get_all("status")[0], "not_started")
        if rotating:
            self.assertIn(g.get_all("expiresAt")[0],
                          {rfc3339(x) for x in candidates})
            if static_secs_present:
                secs = g.get_all("expiresInSeconds")[0]
                self.assertIsInstance(secs, int)
                lo = int(static_exp.timestamp() - srv.ready_at) - 1
                hi = int(static_exp.timestamp() - srv.started_at) + 1
                self.assertTrue(lo <= secs <= hi, f"static expiresInSeconds {secs} not in [{lo},{hi}]")

        exp0 = expected_dynamic(gcfg, row, now0, active_only)
        exp1 = expected_dynamic(gcfg, row, now1, active_only)
        if exp0["expiresAt"] != exp1["expiresAt"] or exp0["status"] != exp1["status"]:
            self.skipTest("a rotation boundary passed during the request")
        for key in ("progress", "status", "completedAt", "claimedAt", "isActive", "expiresAt"):
            self.assertEqual(g.last(key), exp0[key], f"{gid}.{key}")
            if key == "progress":
                self.assertIs(type(g.last(key)), int)
        secs = g.last("expiresInSeconds")
        self.assertIs(type(secs), int)
        if exp0["expiresInSeconds"] is None:
            self.assertEqual(secs, 0, f"{gid}.expiresInSeconds")
        else:
            e = exp0["expiresInSeconds"].timestamp()
            lo, hi = int(e - t1) - 1, int(e - t0) + 1
            self.assertTrue(lo <= secs <= hi, f"{gid}.expiresInSeconds {secs} not in [{lo},{hi}]")


class ListTests(SharedServer, ListChecks, unittest.TestCase):

    def test_new_user_gets_every_goal_with_defaults(self):
        user = user_id("fresh")
        r, t0, t1 = self.fetch(user)
        self.assert_list(r, user, False, t0, t1)
        for c in r.json()["challenges"]:
            for g in c["goals"]:
                self.assertEqual((g["progress"], g["status"], g["isActive"], g["expiresAt"]),
                                 (0, "not_started", False, ""), g["goalId"])

    def test_seeded_rows_all(self):
        user = user_id("mixed")
        seed_mixed(user)
        r, t0, t1 = self.fetch(user)
        self.assert_list(r, user, False, t0, t1)

    def test_seeded_rows_active_only(self):
        user = user_id("active")
        seed_mixed(user)
        r, t0, t1 = self.fetch(user, "?active_only=true")
        self.assert_list(r, user, True, t0, t1)
        goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
        # an inactive completed row is reported as if absent
        self.assertEqual((goals["login-today"]["status"], goals["login-today"]["completedAt"],
                          goals["login-today"]["isActive"]), ("not_started", "", False))
        self.assertEqual(goals["weekly-challenges-goal-01"]["expiresAt"], "")

    def test_active_only_is_exactly_true(self):
        user = user_id("flags")
        seed_mixed(user)
        for q in ("?active_only=TRUE", "?active_only=1", "?active_only=false", "?active_only=yes",
                  "?active_only=", "?active_only=invalid-value", "?other=true"):
            with self.subTest(query=q):
                r, t0, t1 = self.fetch(user, q)
                self.assert_list(r, user, False, t0, t1)
                goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
                self.assertEqual(goals["login-today"]["status"], "completed")

    def test_rotation_display_literal(self):
        """The spec's worked cases, written out by hand (not via the oracle)."""
        user = user_id("rot")
        seed_mixed(user)
        r = self.server().list(user)
        self.assertEqual(r.status, 200)
        goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
        now = dt.datetime.now(UTC)
        # fresh relative goal: progress - baseline
        self.assertEqual((goals["daily-challenges-goal-01"]["progress"],
                          goals["daily-challenges-goal-01"]["status"]), (8, "in_progress"))
        # stale with resetProgress: 0 / not_started, completedAt still shown
        g = goals["daily-challenges-goal-02"]
        self.assertEqual((g["progress"], g["status"]), (0, "not_started"))
        self.assertNotEqual(g["completedAt"], "")
        self.assertEqual(g["expiresAt"], rfc3339(period_start("daily", now) + dt.timedelta(days=1)))
        self.assertGreater(g["expiresInSeconds"], 0)
        self.assertLessEqual(g["expiresInSeconds"], 86400)
        # stale, claimed, allowReselection false: stays claimed with display progress
        self.assertEqual((goals["daily-wins-no-reselect"]["progress"],
                          goals["daily-wins-no-reselect"]["status"]), (5, "claimed"))
        # relative without a baseline shows 0
        self.assertEqual((goals["daily-login-rotation"]["progress"],
                          goals["daily-login-rotation"]["status"]), (0, "in_progress"))
        # weekly, resetProgress false: progress survives the boundary
        g = goals["weekly-wins-no-reset"]
        self.assertEqual((g["progress"], g["status"]), (4, "in_progress"))
        self.assertNotEqual(g["expiresAt"], "")
        # baseline above progress clamps at 0
        self.assertEqual(goals["monthly-kills-goal"]["progress"], 0)
        # inactive rows still show their data when active_only is off
        g = goals["weekly-challenges-goal-01"]
        self.assertEqual((g["progress"], g["status"], g["isActive"]), (130, "completed", False))
        # absolute goals and timestamps
        g = goals["complete-tutorial"]
        self.assertEqual((g["progress"], g["status"], g["completedAt"], g["claimedAt"], g["isActive"]),
                         (1, "claimed", "2025-06-15T11:02:40Z", "2025-06-15T11:05:00Z", True))
        self.assertEqual(goals["login-today"]["completedAt"], "2025-06-15T11:02:40Z")
        self.assertEqual((goals["kill-10-snowmen"]["progress"], goals["kill-10-snowmen"]["status"],
                          goals["kill-10-snowmen"]["locked"]), (5, "in_progress", True))
        self.assertEqual(goals["reach-level-5"]["status"], "not_started")
        # non-rotating goals never expire
        self.assertEqual((goals["daily-login"]["expiresAt"], goals["daily-login"]["expiresInSeconds"]),
                         ("", 0))

    def test_default_user_when_header_missing_or_empty(self):
        seed_rows([dict(user_id="test-user-id", goal_id="play-3-matches", progress=2,
                        status="in_progress")])
        for headers in ({}, {"x-mock-user-id": ""}):
            with self.subTest(headers=headers):
                t0 = time.time()
                r = self.server().get("/v1/challenges", headers=headers)
                t1 = time.time()
                self.assert_list(r, "test-user-id", False, t0, t1)
                goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
                self.assertEqual(goals["play-3-matches"]["progress"], 2)

    def test_header_name_is_case_insensitive(self):
        user = user_id("case")
        seed_rows([dict(user_id=user, goal_id="play-3-matches", progress=1, status="in_progress")])
        r = self.server().get("/v1/challenges", headers={"X-Mock-User-Id": user})
        goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
        self.assertEqual(goals["play-3-matches"]["progress"], 1)

    def test_users_are_isolated(self):
        a, b = user_id("iso-a"), user_id("iso-b")
        seed_rows([dict(user_id=a, goal_id="play-3-matches", progress=2, status="in_progress")])
        r, t0, t1 = self.fetch(b)
        self.assert_list(r, b, False, t0, t1)
        goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
        self.assertEqual(goals["play-3-matches"]["progress"], 0)

    def test_rows_of_goals_not_in_config_are_ignored(self):
        user = user_id("orphan")
        seed_rows([dict(user_id=user, goal_id="removed-goal", challenge_id="gone", progress=3,
                        status="in_progress"),
                   dict(user_id=user, goal_id="play-3-matches", progress=3, status="completed",
                        completed_at="2025-02-01 00:00:00")])
        r, t0, t1 = self.fetch(user)
        self.assert_list(r, user, False, t0, t1)

    def test_progress_written_later_is_visible(self):
        user = user_id("later")
        r1 = self.server().list(user)
        seed_rows([dict(user_id=user, goal_id="play-3-matches", progress=2, status="in_progress")])
        r2, t0, t1 = self.fetch(user)
        self.assertEqual(r1.status, 200)
        self.assert_list(r2, user, False, t0, t1)

    def test_concurrent_requests(self):
        users = [user_id("conc-a"), user_id("conc-b")]
        seed_rows([dict(user_id=users[0], goal_id="play-3-matches", progress=1,
                        status="in_progress")])

        def one(i):
            r = self.server().list(users[i % 2])
            goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
            return r.status, goals["play-3-matches"]["progress"], i % 2

        with concurrent.futures.ThreadPoolExecutor(10) as ex:
            results = list(ex.map(one, range(40)))
        for status, progress, which in results:
            self.assertEqual(status, 200)
            self.assertEqual(progress, 1 if which == 0 else 0)

    def test_every_status_value_round_trips(self):
        user = user_id("statuses")
        seed_rows([dict(user_id=user, goal_id=g, progress=p, status=s, completed_at=c, claimed_at=k)
                   for g, p, s, c, k in (
                       ("daily-10-kills", 0, "not_started", None, None),
                       ("daily-3-matches", 2, "in_progress", None, None),
                       ("daily-headshots", 5, "completed", "2025-03-01 12:00:00", None),
                       ("daily-wins", 1, "claimed", "2025-03-01 12:00:00", "2025-03-01 12:30:00"))])
        r, t0, t1 = self.fetch(user)
        self.assert_list(r, user, False, t0, t1)


if __name__ == "__main__":
    unittest.main()
