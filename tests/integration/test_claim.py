"""POST {BASE_PATH}/v1/challenges/{c}/goals/{g}/claim with auth off and the
mock reward client (spec api.md §5.4, rewards.md §1, data.md §3): every check
in its order with its exact message and status, the claimed row, exactly one
logged grant per claim, and 50 parallel claims of one goal."""

import concurrent.futures
import threading
import time
import unittest

from gateway import (Window, assert_error, assert_gateway_json, claim, goals_by_id, grant_lines,
                     grants_settled, reward_obj, rfc3339_of_db, settle_log)
from harness import SharedServer, fetch_rows, seed_rows, user_id

OLD = "2025-01-01 00:00:00"
STALE_DAY = "=NOW() - interval '25 hours'"
STALE_WEEK = "=NOW() - interval '8 days'"


def not_found(c, g):
    return f"Goal not found or removed from config (goal_id: {g}, challenge_id: {c})"


def not_completed(g, status):
    return f"Goal not completed. Please wait 1 second and try again. (goal_id: {g}, status: {status})"


def inactive(c, g):
    return (f"Goal must be active to claim reward. Activate it first via PUT "
            f"/v1/challenges/{c}/goals/{g}/active (goal_id: {g})")


def rotated(c, g):
    return f"Goal has rotated and must be re-completed (goal_id: {g}, challenge_id: {c})"


def prerequisites(g):
    return f"Prerequisites not completed (goal_id: {g})"


def done(user, goal, **kw):
    """A completed, active row."""
    row = dict(user_id=user, goal_id=goal, progress=10, status="completed", completed_at=OLD,
               assigned_at=OLD)
    row.update(kw)
    return row


class ClaimChecks:

    def refused(self, user, c, g, status, code, message, body=b"{}"):
        """A refused claim: the error, no row changed, no grant."""
        srv = self.server()
        before = fetch_rows(user)
        grants = len(grant_lines(srv, user))
        assert_error(self, claim(srv, user, c, g, body), status, code, message)
        self.assertEqual(fetch_rows(user), before, "a refused claim changes nothing")
        self.assertEqual(len(grants_settled(srv, user)), grants, "a refused claim grants nothing")

    def claimed_ok(self, user, c, g, body=b"{}"):
        """A successful claim: the answer, the row, exactly one grant."""
        srv = self.server()
        before = fetch_rows(user)[g]
        w = Window()
        r = claim(srv, user, c, g, body)
        w.close()
        doc = assert_gateway_json(self, r, 200)
        _, gcfg = goals_by_id()[g]
        self.assertEqual(doc.keys(), ["goalId", "status", "reward", "claimedAt"])
        self.assertEqual((doc.last("goalId"), doc.last("status"), doc.last("reward")),
                         (g, "claimed", reward_obj(gcfg)))
        w.check_rfc3339(self, doc.last("claimedAt"), "claimedAt")
        after = fetch_rows(user)[g]
        self.assertEqual(after["status"], "claimed")
        w.check_db(self, after["claimed_at"], "claimed_at")
        w.check_db(self, after["updated_at"], "updated_at")
        for col in ("progress", "completed_at", "is_active", "assigned_at", "expires_at",
                    "baseline_value", "created_at", "namespace", "challenge_id"):
            self.assertEqual(after[col], before[col], col)
        grants = grants_settled(srv, user)
        self.assertEqual(len(grants), 1, grants)
        rw = gcfg["reward"]
        self.assertEqual(grants[0].get("reward"), {"Type": rw["type"], "RewardID": rw["rewardId"],
                                                   "Quantity": rw["quantity"]})
        return after


class ClaimTests(SharedServer, ClaimChecks, unittest.TestCase):

    # --- step 2-3: goal in config and in this challenge --------------------

    def test_unknown_goal_or_other_challenge_404(self):
        user = user_id("cl-404")
        seed_rows([done(user, "complete-tutorial"), done(user, "login-today")])
        for c, g in (("daily-quests", "no-such-goal"), ("daily-quests", "complete-tutorial"),
                     ("no-such-challenge", "login-today"), ("no-such-challenge", "no-such-goal")):
            with self.subTest(challenge=c, goal=g):
                self.refused(user, c, g, 404, 5, not_found(c, g))

    # --- step 6: a row exists ------------------------------------------------

    def test_no_row_400(self):
        user = user_id("cl-norow")
        self.refused(user, "daily-quests", "login-today", 400, 9,
                     not_completed("login-today", "not_started"))
        self.assertEqual(fetch_rows(user), {})

    # --- step 7: active --------------------------------------------------------

    def test_inactive_400_before_later_checks(self):
        user = user_id("cl-inactive")
        seed_rows([
            done(user, "login-today", is_active=False),
            # inactive wins over rotated / claimed / not completed / prerequisites
            done(user, "daily-challenges-goal-01", is_active=False, baseline_value=0,
                 updated_at=STALE_DAY),
            done(user, "daily-wins-no-reselect", is_active=False, status="claimed",
                 claimed_at=OLD),
            dict(user_id=user, goal_id="play-3-matches", progress=1, status="in_progress",
                 is_active=False),
            done(user, "kill-10-snowmen", is_active=False),
        ])
        for c, g in (("daily-quests", "login-today"), ("rotation-daily", "daily-challenges-goal-01"),
                     ("rotation-daily", "daily-wins-no-reselect"), ("daily-quests", "play-3-matches"),
                     ("winter-challenge-2025", "kill-10-snowmen")):
            with self.subTest(goal=g):
                self.refused(user, c, g, 400, 9, inactive(c, g))

    # --- step 8: not rotated -----------------------------------------------------

    def test_rotated_400_for_every_status(self):
        user = user_id("cl-rotated")
        seed_rows([
            done(user, "daily-challenges-goal-01", baseline_value=0, updated_at=STALE_DAY),
            # claimed: rotated is checked first, so 400 rather than 409
            done(user, "daily-wins-no-reselect", status="claimed", claimed_at=OLD,
                 baseline_value=0, updated_at=STALE_DAY),
            dict(user_id=user, goal_id="daily-challenges-goal-02", progress=1, baseline_value=0,
                 status="in_progress", updated_at=STALE_DAY),
            # resetProgress false does not matter: the period is over
            done(user, "weekly-wins-no-reset", baseline_value=0, updated_at=STALE_WEEK),
        ])
        for c, g in (("rotation-daily", "daily-challenges-goal-01"),
                     ("rotation-daily", "daily-wins-no-reselect"),
                     ("rotation-daily", "daily-challenges-goal-02"),
                     ("weekly-challenges", "weekly-wins-no-reset")):
            with self.subTest(goal=g):
                self.refused(user, c, g, 400, 9, rotated(c, g))

    # --- step 9: completed ---------------------------------------------------------

    def test_not_completed_400(self):
        user = user_id("cl-notdone")
        seed_rows([
            dict(user_id=user, goal_id="login-today", status="not_started"),
            dict(user_id=user, goal_id="play-3-matches", progress=2, status="in_progress"),
            # not completed wins over unmet prerequisites
            dict(user_id=user, goal_id="kill-10-snowmen", progress=2, status="in_progress"),
        ])
        for c, g, st in (("daily-quests", "login-today", "not_started"),
                         ("daily-quests", "play-3-matches", "in_progress"),
                         ("winter-challenge-2025", "kill-10-snowmen", "in_progress")):
            with self.subTest(goal=g):
                self.refused(user, c, g, 400, 9, not_completed(g, st))

    def test_already_claimed_409_with_stored_claimed_at(self):
        user = user_id("cl-claimed")
        seed_rows([
            done(user, "login-today", status="claimed", completed_at="2025-06-15 14:00:00",
                 claimed_at="2025-06-15 14:06:30.5"),
            # claimed wins over unmet prerequisites
            done(user, "kill-10-snowmen", status="claimed", completed_at="2025-06-15 14:00:00",
                 claimed_at="2025-06-16 00:00:00"),
        ])
        self.refused(user, "daily-quests", "login-today", 409, 6,
                     "Reward has already been claimed (goal_id: login-today, "
                     "claimed_at: 2025-06-15T14:06:30Z)")
        self.refused(user, "winter-challenge-2025", "kill-10-snowmen", 409, 6,
                     "Reward has already been claimed (goal_id: kill-10-snowmen, "
                     "claimed_at: 2025-06-16T00:00:00Z)")

    # --- step 10: prerequisites ------------------------------------------------------

    def test_prerequisites_400(self):
        user = user_id("cl-prereq")
        seed_rows([done(user, "kill-10-snowmen")])
        msg = prerequisites("kill-10-snowmen")
        self.refused(user, "winter-challenge-2025", "kill-10-snowmen", 400, 9, msg)
        for status in ("not_started", "in_progress"):
            with self.subTest(prerequisite_status=status):
                seed_rows([dict(user_id=user, goal_id="complete-tutorial", progress=0,
                                status=status)])
                self.refused(user, "winter-challenge-2025", "kill-10-snowmen", 400, 9, msg)

    def test_prerequisites_met_by_inactive_completed_or_claimed_rows(self):
        user = user_id("cl-prereq-ok")
        seed_rows([done(user, "complete-tutorial", is_active=False), done(user, "kill-10-snowmen"),
                   done(user, "reach-level-5")])
        self.claimed_ok(user, "winter-challenge-2025", "kill-10-snowmen")
        # kill-10-snowmen is now claimed, which satisfies reach-level-5
        after = fetch_rows(user)["kill-10-snowmen"]
        self.assertEqual(after["status"], "claimed")
        srv = self.server()
        r = claim(srv, user, "winter-challenge-2025", "reach-level-5")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(grants_settled(srv, user)), 2)

    # --- success ---------------------------------------------------------------------

    def test_success_then_409(self):
        user = user_id("cl-ok")
        seed_rows([done(user, "login-today")])
        after = self.claimed_ok(user, "daily-quests", "login-today")
        # the second attempt reports the stored claimed_at and grants nothing
        self.refused(user, "daily-quests", "login-today", 409, 6,
                     "Reward has already been claimed (goal_id: login-today, claimed_at: "
                     + rfc3339_of_db(after["claimed_at"]) + ")")

    def test_success_with_any_body(self):
        for body in (b"{}", b"", b'{"foo":1,"goal_id":"other","challenge_id":"other"}'):
            with self.subTest(body=body):
                user = user_id("cl-body")
                seed_rows([done(user, "play-3-matches")])
                self.claimed_ok(user, "daily-quests", "play-3-matches", body)

    def test_item_reward_and_rotating_goal(self):
        user = user_id("cl-kinds")
        seed_rows([done(user, "complete-tutorial"), done(user, "kill-10-snowmen"),
                   done(user, "daily-challenges-goal-01", baseline_value=0, progress=12)])
        self.claimed_ok(user, "winter-challenge-2025", "kill-10-snowmen")      # ITEM
        srv = self.server()
        r = claim(srv, user, "rotation-daily", "daily-challenges-goal-01")     # this period
        doc = assert_gateway_json(self, r, 200)
        self.assertEqual(doc.last("reward"), reward_obj(goals_by_id()["daily-challenges-goal-01"][1]))
        self.assertEqual(fetch_rows(user)["daily-challenges-goal-01"]["status"], "claimed")
        self.assertEqual(len(grants_settled(srv, user)), 2)

    def test_users_are_isolated(self):
        a, b = user_id("cl-iso-a"), user_id("cl-iso-b")
        seed_rows([done(a, "login-today")])
        self.refused(b, "daily-quests", "login-today", 400, 9,
                     not_completed("login-today", "not_started"))
        self.claimed_ok(a, "daily-quests", "login-today")
        self.assertEqual(fetch_rows(b), {})


class ConcurrentClaimTests(SharedServer, unittest.TestCase):
    """Grants that take 50-100 ms, so parallel claims overlap (§5.4
    "Idempotency / concurrency")."""

    server_env = {"MOCK_REWARD_LATENCY_MS": "50-100"}

    def test_fifty_parallel_claims_of_one_goal(self):
        srv = self.server()
        user = user_id("cl-race")
        seed_rows([done(user, "login-today")])
        n = 50
        barrier = threading.Barrier(n)

        def one(_):
            barrier.wait()
            t0 = time.monotonic()
            r = claim(srv, user, "daily-quests", "login-today", timeout=30)
            return r, time.monotonic() - t0

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            results = list(ex.map(one, range(n)))
        statuses = sorted(r.status for r, _ in results)
        self.assertEqual(statuses, [200] + [409] * (n - 1), [r for r, _ in results if
                                                             r.status not in (200, 409)][:3])
        row = fetch_rows(user)["login-today"]
        self.assertEqual(row["status"], "claimed")
        msg = ("Reward has already been claimed (goal_id: login-today, claimed_at: "
               + rfc3339_of_db(row["claimed_at"]) + ")")
        for r, took in results:
            if r.status == 409:
                assert_error(self, r, 409, 6, msg)
            else:
                self.assertGreaterEqual(took, 0.05, "the mock grant's latency applies")
        self.assertEqual(len(grants_settled(srv, user)), 1, "exactly one grant")

    def test_parallel_claims_of_different_users(self):
        srv = self.server()
        users = [user_id("cl-many") for _ in range(20)]
        seed_rows([done(u, "login-today") for u in users])
        barrier = threading.Barrier(len(users))

        def one(u):
            barrier.wait()
            return claim(srv, u, "daily-quests", "login-today", timeout=30)

        with concurrent.futures.ThreadPoolExecutor(len(users)) as ex:
            results = list(ex.map(one, users))
        self.assertEqual([r.status for r in results], [200] * len(users))
        settle_log(srv)
        for u in users:
            self.assertEqual(fetch_rows(u)["login-today"]["status"], "claimed")
            self.assertEqual(len(grant_lines(srv, u)), 1, u)


if __name__ == "__main__":
    unittest.main()
