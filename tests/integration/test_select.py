"""POST {BASE_PATH}/v1/challenges/{c}/goals/batch-select and random-select with
auth off (spec api.md §2.2, §5.5, §5.6, §6; data.md §4 BatchUpsertGoalActive):
validation in order with exact messages and nothing written on failure,
replace_existing, the totalActiveGoals rule, the selected goals' fields, the
random pool (completed, claimed, locked and active goals left out) and the
rows each call leaves."""

import unittest

from gateway import (SELECTED_KEYS, Window, assert_decode_error, assert_error, assert_gateway_json,
                     batch, challenge, goals_by_id, random_select, requirement_obj, reward_obj)
from harness import SharedServer, fetch_rows, seed_rows, user_id
from listing import next_expiry, rfc3339

OLD = "2025-01-01 00:00:00"
DAILY = "daily-challenges"
DAILY_GOALS = [g["goalId"] for g in challenge(DAILY)["goals"]]


def insufficient(n):
    return f"INSUFFICIENT_GOALS: no goals available for selection (available: 0, requested: {n})"


class SelectChecks:

    def select(self, kind, user, c, body):
        w = Window()
        r = (batch if kind == "batch" else random_select)(self.server(), user, c, body)
        w.close()
        return r, w

    def assert_selection(self, r, w, c, ids, total, replaced=()):
        """The GoalSelectionResponse; ids None = any order (random)."""
        doc = assert_gateway_json(self, r, 200)
        self.assertEqual(doc.keys(), ["selectedGoals", "challengeId", "totalActiveGoals",
                                      "replacedGoals"])
        self.assertEqual(doc.last("challengeId"), c)
        got = [s.last("goalId") for s in doc.last("selectedGoals")]
        if ids is not None:
            self.assertEqual(got, list(ids))
        self.assertEqual(len(set(got)), len(got), f"selected goals are distinct: {got}")
        self.assertEqual(doc.last("totalActiveGoals"), total)
        self.assertEqual(sorted(doc.last("replacedGoals")), sorted(replaced))
        index = goals_by_id()
        for s in doc.last("selectedGoals"):
            gid = s.last("goalId")
            with self.subTest(selected=gid):
                cid, g = index[gid]
                self.assertEqual(cid, c)
                self.assertEqual(s.keys(), SELECTED_KEYS)
                self.assertEqual((s.last("name"), s.last("description"), s.last("requirement"),
                                  s.last("reward"), s.last("target")),
                                 (g["name"], g.get("description") or "", requirement_obj(g),
                                  reward_obj(g), g["requirement"]["targetValue"]))
                # always as if new, whatever the row holds
                self.assertEqual((s.last("status"), s.last("progress"), s.last("isActive")),
                                 ("not_started", 0, True))
                w.check_rfc3339(self, s.last("assignedAt"), "assignedAt")
                self.assertIn(s.last("expiresAt"), {rfc3339(next_expiry(g, w.now0())),
                                                    rfc3339(next_expiry(g, w.now1()))})
        return got

    def assert_activated(self, rows, before, ids, w):
        """Rows of ids are active with a fresh assigned_at; new rows are
        not_started with progress 0; existing rows keep their data."""
        index = goals_by_id()
        for gid in ids:
            row = rows[gid]
            self.assertEqual(row["is_active"], "t", gid)
            w.check_db(self, row["assigned_at"], f"{gid}.assigned_at")
            w.check_db(self, row["updated_at"], f"{gid}.updated_at")
            if gid in before:
                for col in ("progress", "status", "completed_at", "claimed_at", "baseline_value",
                            "expires_at", "created_at", "namespace", "challenge_id"):
                    self.assertEqual(row[col], before[gid][col], f"{gid}.{col}")
            else:
                self.assertEqual((row["challenge_id"], row["namespace"], row["progress"],
                                  row["status"], row["completed_at"], row["claimed_at"],
                                  row["expires_at"], row["baseline_value"]),
                                 (index[gid][0], "accelbyte", "0", "not_started", "", "", "", ""),
                                 gid)

    def assert_deactivated(self, rows, before, ids, w):
        for gid in ids:
            row = rows[gid]
            self.assertEqual((row["is_active"], row["assigned_at"]), ("f", ""), gid)
            w.check_db(self, row["updated_at"], f"{gid}.updated_at")
            for col in ("progress", "status", "completed_at", "claimed_at", "baseline_value"):
                self.assertEqual(row[col], before[gid][col], f"{gid}.{col}")

    def assert_unchanged(self, rows, before, ids):
        for gid in ids:
            self.assertEqual(rows.get(gid), before.get(gid), gid)

    def refused(self, kind, user, c, body, status, code, message=None, decode=False):
        before = fetch_rows(user)
        r = (batch if kind == "batch" else random_select)(self.server(), user, c, body)
        if decode:
            assert_decode_error(self, r)
        else:
            assert_error(self, r, status, code, message)
        self.assertEqual(fetch_rows(user), before, "a refused selection changes nothing")


class BatchSelectTests(SharedServer, SelectChecks, unittest.TestCase):

    def seed_some(self, user):
        seed_rows([dict(user_id=user, goal_id="daily-login", assigned_at=OLD, updated_at=OLD),
                   dict(user_id=user, goal_id="daily-wins", is_active=False, assigned_at=OLD,
                        updated_at=OLD)])

    def test_empty_goal_ids_400(self):
        user = user_id("bs-empty")
        self.seed_some(user)
        for body in (b"{}", b"", {"goal_ids": []}, {"goal_ids": None}, {"goalIds": []},
                     {"replace_existing": True}):
            with self.subTest(body=body):
                self.refused("batch", user, DAILY, body, 400, 3, "goal_ids cannot be empty")
        # checked before the challenge
        self.refused("batch", user, "no-such-challenge", {}, 400, 3, "goal_ids cannot be empty")

    def test_unknown_challenge_404(self):
        user = user_id("bs-nochal")
        self.seed_some(user)
        self.refused("batch", user, "no-such-challenge", {"goal_ids": ["daily-login"]}, 404, 5,
                     "challenge 'no-such-challenge' not found")

    def test_unknown_or_foreign_goal_nothing_written(self):
        user = user_id("bs-goals")
        self.seed_some(user)
        foreign = ("failed to batch select goals: goal 'login-today' does not belong to "
                   "challenge 'daily-challenges'")
        cases = [
            (["daily-wins", "nope"], 404, 5, "goal 'nope' not found"),
            (["nope", "login-today"], 404, 5, "goal 'nope' not found"),
            (["daily-10-kills", "login-today"], 500, 13, foreign),
            (["login-today", "nope"], 500, 13, foreign),
        ]
        for ids, status, code, msg in cases:
            for replace in (False, True):
                with self.subTest(ids=ids, replace=replace):
                    self.refused("batch", user, DAILY, {"goal_ids": ids, "replace_existing": replace},
                                 status, code, msg)

    def test_duplicate_ids_400_nothing_written(self):
        # our choice over §5.5 step 8 (a 500 from the database)
        user = user_id("bs-dup")
        self.seed_some(user)
        for replace in (False, True):
            with self.subTest(replace=replace):
                self.refused("batch", user, DAILY,
                             {"goal_ids": ["daily-wins", "daily-10-kills", "daily-wins"],
                              "replace_existing": replace},
                             400, 3, "duplicate goal id 'daily-wins' in goal_ids")

    def test_wrong_types_400(self):
        user = user_id("bs-types")
        self.seed_some(user)
        for body in (b'{"goal_ids":"daily-login"}', b'{"goal_ids":[1]}', b'{"goal_ids":[null]}',
                     b'{"goal_ids":{"a":"daily-login"}}', b'{"goal_ids":[["daily-login"]]}',
                     b'{"goal_ids":["daily-login"],"replace_existing":"true"}',
                     b'{"goal_ids":["daily-login"],"replaceExisting":1}',
                     b'{"goal_ids":["daily-login"],"goalIds":["daily-wins"]}'):
            with self.subTest(body=body):
                self.refused("batch", user, DAILY, body, None, None, decode=True)

    def test_new_user(self):
        user = user_id("bs-new")
        ids = ["daily-3-matches", "daily-login", "daily-10-kills"]
        r, w = self.select("batch", user, DAILY, {"goal_ids": ids, "replace_existing": False})
        self.assert_selection(r, w, DAILY, ids, 3)
        rows = fetch_rows(user)
        self.assertEqual(sorted(rows), sorted(ids))
        self.assert_activated(rows, {}, ids, w)

    def test_adds_to_active_goals(self):
        user = user_id("bs-add")
        seed_rows([
            dict(user_id=user, goal_id="daily-login", assigned_at=OLD, updated_at=OLD),
            dict(user_id=user, goal_id="daily-3-matches", progress=2, status="in_progress",
                 assigned_at=OLD, updated_at=OLD),
            # inactive with progress: re-activated, no reset
            dict(user_id=user, goal_id="daily-headshots", progress=5, status="completed",
                 completed_at=OLD, is_active=False, assigned_at=None, updated_at=OLD),
            # another challenge's active row is not counted
            dict(user_id=user, goal_id="login-today"),
        ])
        before = fetch_rows(user)
        ids = ["daily-login", "daily-headshots", "daily-wins"]
        r, w = self.select("batch", user, DAILY, {"goalIds": ids})
        # 3 requested + 2 active before - 1 of them requested
        self.assert_selection(r, w, DAILY, ids, 4)
        rows = fetch_rows(user)
        self.assert_activated(rows, before, ids, w)
        self.assert_unchanged(rows, before, ["daily-3-matches", "login-today"])

    def test_replace_existing(self):
        user = user_id("bs-replace")
        seed_rows([
            dict(user_id=user, goal_id="daily-login", assigned_at=OLD, updated_at=OLD),
            dict(user_id=user, goal_id="daily-10-kills", progress=4, status="in_progress",
                 assigned_at=OLD, updated_at=OLD),
            dict(user_id=user, goal_id="daily-3-matches", progress=3, status="completed",
                 completed_at=OLD, is_active=False, assigned_at=OLD, updated_at=OLD),
            dict(user_id=user, goal_id="login-today"),
        ])
        before = fetch_rows(user)
        ids = ["daily-10-kills", "daily-wins"]
        r, w = self.select("batch", user, DAILY, {"goal_ids": ids, "replace_existing": True})
        # every active goal of the challenge, the re-selected one included
        self.assert_selection(r, w, DAILY, ids, 2, ["daily-login", "daily-10-kills"])
        rows = fetch_rows(user)
        self.assert_deactivated(rows, before, ["daily-login"], w)
        self.assert_activated(rows, before, ids, w)
        self.assert_unchanged(rows, before, ["daily-3-matches", "login-today"])

    def test_replace_with_nothing_active(self):
        user = user_id("bs-replace-none")
        r, w = self.select("batch", user, DAILY, {"replaceExisting": True,
                                                  "goalIds": ["daily-wins"]})
        self.assert_selection(r, w, DAILY, ["daily-wins"], 1, [])

    def test_rotating_goals_get_expiry_in_answer_not_in_table(self):
        user = user_id("bs-rot")
        seed_rows([dict(user_id=user, goal_id="daily-challenges-goal-02", progress=7,
                        baseline_value=3, status="in_progress", is_active=False, expires_at=OLD,
                        updated_at=OLD, assigned_at=OLD)])
        before = fetch_rows(user)
        ids = ["daily-challenges-goal-01", "daily-challenges-goal-02"]
        r, w = self.select("batch", user, "rotation-daily", {"goal_ids": ids})
        self.assert_selection(r, w, "rotation-daily", ids, 2)
        rows = fetch_rows(user)
        self.assert_activated(rows, before, ids, w)
        self.assertEqual(rows["daily-challenges-goal-01"]["expires_at"], "")
        self.assertEqual(rows["daily-challenges-goal-02"]["expires_at"], OLD)

    def test_no_prerequisite_or_status_check(self):
        user = user_id("bs-any")
        seed_rows([dict(user_id=user, goal_id="kill-10-snowmen", progress=10, status="claimed",
                        completed_at=OLD, claimed_at=OLD, is_active=False)])
        before = fetch_rows(user)
        ids = ["reach-level-5", "kill-10-snowmen"]
        r, w = self.select("batch", user, "winter-challenge-2025", {"goal_ids": ids})
        self.assert_selection(r, w, "winter-challenge-2025", ids, 2)
        self.assert_activated(fetch_rows(user), before, ids, w)


class RandomSelectTests(SharedServer, SelectChecks, unittest.TestCase):

    def test_count_must_be_positive(self):
        user = user_id("rs-count")
        seed_rows([dict(user_id=user, goal_id="login-today", assigned_at=OLD, updated_at=OLD)])
        for body in (b"{}", b"", {"count": 0}, {"count": -1}, {"count": "0"}, {"count": "-5"},
                     {"count": None}, {"count": -2147483648}, {"replace_existing": True}):
            with self.subTest(body=body):
                self.refused("random", user, "daily-quests", body, 400, 3,
                             "count must be greater than 0")
        # checked before the challenge
        self.refused("random", user, "no-such-challenge", {"count": 0}, 400, 3,
                     "count must be greater than 0")

    def test_count_wrong_types_400(self):
        user = user_id("rs-types")
        seed_rows([dict(user_id=user, goal_id="login-today", assigned_at=OLD, updated_at=OLD)])
        for body in (b'{"count":2.5}', b'{"count":"2.5"}', b'{"count":"abc"}', b'{"count":true}',
                     b'{"count":[1]}', b'{"count":2147483648}', b'{"count":-2147483649}',
                     b'{"count":"2147483648"}', b'{"count":1e40}', b'{"count":1,"count":2}',
                     b'{"count":1,"exclude_active":"yes"}', b'{"count":1,"replaceExisting":0}'):
            with self.subTest(body=body):
                self.refused("random", user, "daily-quests", body, None, None, decode=True)

    def test_unknown_challenge_404(self):
        user = user_id("rs-nochal")
        self.refused("random", user, "no-such-challenge", {"count": 1}, 404, 5,
                     "challenge 'no-such-challenge' not found")

    def test_count_forms_accepted(self):
        # int32 takes a number or a numeric string (§2.2); integral floats
        # are integers to protobuf-JSON
        for body in (b'{"count":"2"}', b'{"count":2.0}', b'{"count":2e0}', b'{"count":2147483647}',
                     b'{"count":"2147483647"}'):
            with self.subTest(body=body):
                user = user_id("rs-forms")
                r, w = self.select("random", user, "daily-quests", body)
                got = self.assert_selection(r, w, "daily-quests", None, 2)
                self.assertEqual(sorted(got), ["login-today", "play-3-matches"])

    def test_new_user_picks_count_distinct_goals(self):
        seen = set()
        for _ in range(12):
            user = user_id("rs-new")
            r, w = self.select("random", user, DAILY, {"count": 3})
            got = self.assert_selection(r, w, DAILY, None, 3)
            self.assertTrue(set(got) <= set(DAILY_GOALS), got)
            rows = fetch_rows(user)
            self.assertEqual(sorted(rows), sorted(got))
            self.assert_activated(rows, {}, got, w)
            seen.update(got)
        self.assertGreater(len(seen), 3, "the picks vary between calls")

    def test_only_eligible_goals_are_picked(self):
        eligible = set(DAILY_GOALS) - {"daily-login", "daily-wins", "daily-10-kills"}
        for _ in range(12):
            user = user_id("rs-elig")
            seed_rows([
                dict(user_id=user, goal_id="daily-login", progress=1, status="completed",
                     completed_at=OLD, is_active=False),
                dict(user_id=user, goal_id="daily-wins", progress=1, status="claimed",
                     completed_at=OLD, claimed_at=OLD),
                dict(user_id=user, goal_id="daily-10-kills", progress=3, status="in_progress"),
            ])
            before = fetch_rows(user)
            r, w = self.select("random", user, DAILY, {"count": 4, "exclude_active": True})
            # 4 picked + 2 active before (daily-wins, daily-10-kills)
            got = self.assert_selection(r, w, DAILY, None, 6)
            self.assertTrue(set(got) <= eligible, got)
            rows = fetch_rows(user)
            self.assert_activated(rows, before, got, w)
            self.assert_unchanged(rows, before, ["daily-login", "daily-wins", "daily-10-kills"])

    def test_insufficient_goals_400(self):
        user = user_id("rs-none")
        seed_rows([dict(user_id=user, goal_id="login-today", progress=1, status="completed",
                        completed_at=OLD),
                   dict(user_id=user, goal_id="play-3-matches", progress=3, status="claimed",
                        completed_at=OLD, claimed_at=OLD, is_active=False)])
        for body, n in (({"count": 2}, 2), ({"count": "7"}, 7), ({"count": 1, "replace_existing": True}, 1)):
            with self.subTest(body=body):
                self.refused("random", user, "daily-quests", body, 400, 3, insufficient(n))
        user = user_id("rs-all-active")
        seed_rows([dict(user_id=user, goal_id="login-today"),
                   dict(user_id=user, goal_id="play-3-matches", progress=1, status="in_progress")])
        for body in ({"count": 1, "exclude_active": True}, {"count": 2, "excludeActive": True},
                     {"count": 1, "replace_existing": True}):
            with self.subTest(body=body):
                self.refused("random", user, "daily-quests", body, 400, 3,
                             insufficient(body["count"]))

    def test_partial_result_when_pool_is_small(self):
        user = user_id("rs-partial")
        seed_rows([dict(user_id=user, goal_id="login-today", progress=1, status="completed",
                        completed_at=OLD)])
        before = fetch_rows(user)
        r, w = self.select("random", user, "daily-quests", {"count": 5})
        # 1 picked + 1 active before
        self.assert_selection(r, w, "daily-quests", ["play-3-matches"], 2)
        rows = fetch_rows(user)
        self.assert_activated(rows, before, ["play-3-matches"], w)
        self.assert_unchanged(rows, before, ["login-today"])

    def test_active_goals_in_pool_unless_excluded(self):
        user = user_id("rs-active")
        seed_rows([dict(user_id=user, goal_id="login-today", assigned_at=OLD, updated_at=OLD)])
        before = fetch_rows(user)
        r, w = self.select("random", user, "daily-quests", {"count": 2, "exclude_active": True})
        self.assert_selection(r, w, "daily-quests", ["play-3-matches"], 2)
        self.assert_unchanged(fetch_rows(user), before, ["login-today"])

        user = user_id("rs-active2")
        seed_rows([dict(user_id=user, goal_id="login-today", assigned_at=OLD, updated_at=OLD)])
        before = fetch_rows(user)
        r, w = self.select("random", user, "daily-quests", {"count": 2})
        # 2 picked + 1 active before - 1 picked that was active
        got = self.assert_selection(r, w, "daily-quests", None, 2)
        self.assertEqual(sorted(got), ["login-today", "play-3-matches"])
        self.assert_activated(fetch_rows(user), before, got, w)

    def test_replace_existing_excludes_and_deactivates_active_goals(self):
        user = user_id("rs-replace")
        seed_rows([dict(user_id=user, goal_id="login-today", progress=0, assigned_at=OLD,
                        updated_at=OLD),
                   dict(user_id=user, goal_id="daily-login")])
        before = fetch_rows(user)
        r, w = self.select("random", user, "daily-quests", {"count": 2, "replace_existing": True})
        self.assert_selection(r, w, "daily-quests", ["play-3-matches"], 1, ["login-today"])
        rows = fetch_rows(user)
        self.assert_deactivated(rows, before, ["login-today"], w)
        self.assert_activated(rows, before, ["play-3-matches"], w)
        self.assert_unchanged(rows, before, ["daily-login"])

    def test_prerequisites_leave_goals_out(self):
        c = "winter-challenge-2025"
        user = user_id("rs-prereq")
        r, w = self.select("random", user, c, {"count": 3})
        self.assert_selection(r, w, c, ["complete-tutorial"], 1)

        user = user_id("rs-prereq2")
        seed_rows([dict(user_id=user, goal_id="complete-tutorial", progress=1, status="completed",
                        completed_at=OLD)])
        r, w = self.select("random", user, c, {"count": 3})
        self.assert_selection(r, w, c, ["kill-10-snowmen"], 2)

        user = user_id("rs-prereq3")
        seed_rows([dict(user_id=user, goal_id="complete-tutorial", progress=1, status="claimed",
                        completed_at=OLD, claimed_at=OLD, is_active=False),
                   dict(user_id=user, goal_id="kill-10-snowmen", progress=4, status="in_progress",
                        is_active=False)])
        r, w = self.select("random", user, c, {"count": 3})
        self.assert_selection(r, w, c, ["kill-10-snowmen"], 1)

        user = user_id("rs-prereq4")
        seed_rows([dict(user_id=user, goal_id="complete-tutorial", progress=1, status="claimed",
                        completed_at=OLD, claimed_at=OLD, is_active=False),
                   dict(user_id=user, goal_id="kill-10-snowmen", progress=10, status="completed",
                        completed_at=OLD, is_active=False)])
        r, w = self.select("random", user, c, {"count": 3})
        self.assert_selection(r, w, c, ["reach-level-5"], 1)


if __name__ == "__main__":
    unittest.main()
