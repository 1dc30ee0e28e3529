"""PUT {BASE_PATH}/v1/challenges/{c}/goals/{g}/active with auth off (spec
api.md §2.2, §5.3, data.md §3-§4 UpsertGoalActive): activation stamps
assigned_at, deactivation keeps it, a missing row is created in either
direction, the body's field names and types, the error messages, and a
request whose body arrives after its head."""

import time
import unittest

import harness
from gateway import (ACTIVE, Window, assert_decode_error, assert_error, assert_gateway_json, call,
                     set_active)
from harness import SharedServer, fetch_rows, read_response, seed_rows, user_id

OLD = "2025-01-01 00:00:00"
ACTIVATED = "Goal activated successfully"
DEACTIVATED = "Goal deactivated successfully"


class SetActiveTests(SharedServer, unittest.TestCase):

    def put(self, user, c, g, body):
        w = Window()
        r = set_active(self.server(), user, c, g, body)
        w.close()
        return r, w

    def assert_ok(self, r, w, c, g, active):
        doc = assert_gateway_json(self, r, 200)
        self.assertEqual(doc.keys(), ["challengeId", "goalId", "isActive", "assignedAt", "message"])
        self.assertEqual((doc.last("challengeId"), doc.last("goalId"), doc.last("isActive"),
                          doc.last("message")), (c, g, active, ACTIVATED if active else DEACTIVATED))
        # the server's "now", for deactivation too
        w.check_rfc3339(self, doc.last("assignedAt"), "assignedAt")
        return doc

    def assert_new_row(self, row, w, cid, active):
        self.assertEqual((row["challenge_id"], row["namespace"], row["progress"], row["status"],
                          row["completed_at"], row["claimed_at"], row["is_active"],
                          row["expires_at"], row["baseline_value"]),
                         (cid, "accelbyte", "0", "not_started", "", "", "t" if active else "f",
                          "", ""))
        w.check_db(self, row["created_at"], "created_at")
        w.check_db(self, row["updated_at"], "updated_at")
        if active:
            w.check_db(self, row["assigned_at"], "assigned_at")
        else:
            self.assertEqual(row["assigned_at"], "", "a row created inactive has no assigned_at")

    def test_activate_creates_missing_row(self):
        user = user_id("sa-new")
        for cid, gid in (("daily-quests", "login-today"),
                         ("rotation-daily", "daily-challenges-goal-01")):   # rotating: no expiry
            with self.subTest(goal=gid):
                r, w = self.put(user, cid, gid, {"is_active": True})
                self.assert_ok(r, w, cid, gid, True)
                self.assert_new_row(fetch_rows(user)[gid], w, cid, True)

    def test_deactivate_creates_missing_row(self):
        user = user_id("sa-new-off")
        r, w = self.put(user, "daily-quests", "play-3-matches", {"is_active": False})
        self.assert_ok(r, w, "daily-quests", "play-3-matches", False)
        rows = fetch_rows(user)
        self.assertEqual(sorted(rows), ["play-3-matches"])
        self.assert_new_row(rows["play-3-matches"], w, "daily-quests", False)

    def test_activate_existing_row_touches_only_flag_and_times(self):
        user = user_id("sa-on")
        seed_rows([dict(user_id=user, goal_id="daily-challenges-goal-01", progress=12,
                        baseline_value=4, status="completed", completed_at=OLD, is_active=False,
                        assigned_at=OLD, expires_at=OLD, updated_at=OLD, created_at=OLD)])
        before = fetch_rows(user)["daily-challenges-goal-01"]
        r, w = self.put(user, "rotation-daily", "daily-challenges-goal-01", {"is_active": True})
        self.assert_ok(r, w, "rotation-daily", "daily-challenges-goal-01", True)
        after = fetch_rows(user)["daily-challenges-goal-01"]
        self.assertEqual(after["is_active"], "t")
        w.check_db(self, after["assigned_at"], "assigned_at")
        # §5.3 step 7: a stale rotating row is no longer stale afterwards
        w.check_db(self, after["updated_at"], "updated_at")
        for col in ("progress", "status", "completed_at", "claimed_at", "baseline_value",
                    "expires_at", "created_at", "namespace", "challenge_id"):
            self.assertEqual(after[col], before[col], col)

    def test_deactivate_existing_row_keeps_assigned_at(self):
        user = user_id("sa-off")
        seed_rows([dict(user_id=user, goal_id="login-today", progress=1, status="claimed",
                        completed_at=OLD, claimed_at=OLD, assigned_at=OLD, updated_at=OLD)])
        before = fetch_rows(user)["login-today"]
        r, w = self.put(user, "daily-quests", "login-today", {"is_active": False})
        self.assert_ok(r, w, "daily-quests", "login-today", False)
        after = fetch_rows(user)["login-today"]
        self.assertEqual((after["is_active"], after["assigned_at"]), ("f", OLD))
        w.check_db(self, after["updated_at"], "updated_at")
        for col in ("progress", "status", "completed_at", "claimed_at", "baseline_value",
                    "expires_at", "created_at"):
            self.assertEqual(after[col], before[col], col)
        # and a claimed goal may be re-activated freely
        r, w = self.put(user, "daily-quests", "login-today", {"is_active": True})
        self.assert_ok(r, w, "daily-quests", "login-today", True)
        after = fetch_rows(user)["login-today"]
        self.assertEqual((after["is_active"], after["status"], after["claimed_at"]),
                         ("t", "claimed", OLD))
        w.check_db(self, after["assigned_at"], "assigned_at")

    def test_repeated_calls_are_idempotent(self):
        user = user_id("sa-idem")
        for active in (True, True, False, False):
            r, w = self.put(user, "daily-quests", "login-today", {"is_active": active})
            self.assert_ok(r, w, "daily-quests", "login-today", active)
            self.assertEqual(fetch_rows(user)["login-today"]["is_active"], "t" if active else "f")
        self.assertEqual(len(fetch_rows(user)), 1)

    def test_body_forms(self):
        """§2.2: proto or JSON name, missing/null = false, unknown fields
        ignored, an empty body is {} (our choice)."""
        user = user_id("sa-forms")
        cases = [
            (b'{"is_active":true}', True),
            (b'{"isActive":false}', False),
            (b'{"isActive":true}', True),
            (b'{}', False),
            (b'{"is_active":true}', True),
            (b'', False),
            (b'{"isActive":true}', True),
            (b'{"is_active":null}', False),
            (b'{"unknown":[1,{"a":null}],"is_active":true}', True),
            (b' \r\n\t{ "is_active" : false } \n', False),
            (b'{"challenge_id":"nope","goal_id":"nope","is_active":true}', True),
        ]
        for body, active in cases:
            with self.subTest(body=body):
                r, w = self.put(user, "daily-quests", "play-3-matches", body)
                # path parameters win over body fields
                self.assert_ok(r, w, "daily-quests", "play-3-matches", active)
                self.assertEqual(fetch_rows(user)["play-3-matches"]["is_active"],
                                 "t" if active else "f")

    def test_wrong_types_400_and_nothing_changes(self):
        user = user_id("sa-types")
        seed_rows([dict(user_id=user, goal_id="login-today", is_active=False, assigned_at=OLD,
                        updated_at=OLD)])
        before = fetch_rows(user)
        for body in (b'{"is_active":"true"}', b'{"is_active":1}', b'{"isActive":"not-a-boolean"}',
                     b'{"is_active":[true]}', b'{"is_active":{}}', b'{"is_active":0}'):
            with self.subTest(body=body):
                assert_decode_error(self, set_active(self.server(), user, "daily-quests",
                                                     "login-today", body))
        self.assertEqual(fetch_rows(user), before)

    def test_duplicate_field_400(self):
        user = user_id("sa-dup")
        seed_rows([dict(user_id=user, goal_id="login-today", is_active=False, assigned_at=OLD,
                        updated_at=OLD)])
        before = fetch_rows(user)
        for body in (b'{"is_active":true,"isActive":false}', b'{"isActive":true,"is_active":true}',
                     b'{"is_active":true,"is_active":true}'):
            with self.subTest(body=body):
                assert_decode_error(self, set_active(self.server(), user, "daily-quests",
                                                     "login-today", body))
        self.assertEqual(fetch_rows(user), before)

    def test_unknown_goal_and_other_challenge_500(self):
        user = user_id("sa-unknown")
        cases = [
            ("daily-quests", "no-such-goal",
             "failed to set goal active status: goal 'no-such-goal' not found in challenge 'daily-quests'"),
            ("no-such-challenge", "no-such-goal",
             "failed to set goal active status: goal 'no-such-goal' not found in challenge 'no-such-challenge'"),
            ("daily-quests", "complete-tutorial",
             "failed to set goal active status: goal 'complete-tutorial' does not belong to challenge 'daily-quests'"),
            ("no-such-challenge", "login-today",
             "failed to set goal active status: goal 'login-today' does not belong to challenge 'no-such-challenge'"),
        ]
        for c, g, msg in cases:
            for active in (True, False):
                with self.subTest(challenge=c, goal=g, active=active):
                    assert_error(self, set_active(self.server(), user, c, g,
                                                  {"is_active": active}), 500, 13, msg)
        self.assertEqual(fetch_rows(user), {})

    def test_empty_path_segment(self):
        # §1.2: either no route (404) or an empty id (400 "... is required")
        user = user_id("sa-empty")
        for c, g, msg in (("", "login-today", "challenge_id is required"),
                          ("daily-quests", "", "goal_id is required")):
            with self.subTest(challenge=c, goal=g):
                r = set_active(self.server(), user, c, g, {"is_active": True})
                if r.status == 404:
                    assert_error(self, r, 404, 5, "Not Found")
                else:
                    assert_error(self, r, 400, 3, msg)
        self.assertEqual(fetch_rows(user), {})

    def test_wrong_method_on_the_route(self):
        # §1.2: grpc-gateway answers 501 Method Not Allowed (404/405 accepted)
        user = user_id("sa-method")
        for method in ("GET", "POST", "DELETE", "PATCH"):
            with self.subTest(method=method):
                r = call(self.server(), method, ACTIVE.format(c="daily-quests", g="login-today"),
                         b'{"is_active":true}', user)
                self.assertIn(r.status, (404, 405, 501), r.body)
                if r.status == 501:
                    assert_error(self, r, 501, 12, "Method Not Allowed")
        self.assertEqual(fetch_rows(user), {})

    def test_percent_encoded_ids_are_decoded(self):
        user = user_id("sa-pct")
        r, w = self.put(user, "daily%2Dquests", "login%2dtoday", {"is_active": True})
        self.assert_ok(r, w, "daily-quests", "login-today", True)
        self.assertEqual(sorted(fetch_rows(user)), ["login-today"])


class SplitDeliveryTests(SharedServer, unittest.TestCase):
    """On a server of its own: a failure here must not take the other
    tests' server down with it."""

    def test_body_arriving_after_the_head(self):
        """Clients such as Python's http.client write the head and the body
        separately; the request must not change meaning when its body comes
        in a later read (here a head that fits the first read buffer, then
        the body)."""
        srv = self.server()
        for pad in (0, 60, 120, 200, 400):
            with self.subTest(pad=pad):
                user = user_id("sa-split")
                body = b'{"is_active":true,"pad":"' + b"x" * 100 + b'"}'
                path = harness.BASE_PATH + ACTIVE.format(c="daily-quests", g="login-today")
                head = (f"PUT {path} HTTP/1.1\r\nHost: t\r\nx-mock-user-id: {user}\r\n"
                        f"X-Pad: {'p' * pad}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                s = srv.connect()
                try:
                    s.sendall(head)
                    # a pause so the two writes reach the server as two reads
                    time.sleep(0.03)
                    s.sendall(body)
                    status, headers, got, _ = read_response(s)
                finally:
                    s.close()
                self.assertEqual(status, 200, got[:200])
                self.assertEqual(fetch_rows(user)["login-today"]["is_active"], "t")
        self.assertTrue(srv.alive(), srv.log_tail())
        self.assertEqual(srv.get("/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
