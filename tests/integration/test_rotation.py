"""GET {BASE_PATH}/v1/challenges/{c}/rotation with auth off (spec api.md §5.7,
§5.0, config.md §1.1): every challenge of the demo config and of a config
written here (first enabled goal wins, disabled blocks ignored), with the
daily/weekly/monthly periods computed independently from the UTC clock."""

import datetime as dt
import json
import os
import unittest

import harness
from gateway import ROTATION, Window, assert_error, assert_gateway_json, call
from harness import SharedServer, load_config, user_id
from listing import UTC, Obj, period_end, period_start, rfc3339


def goal(gid, rotation=None, mode="relative"):
    g = {"goalId": gid, "name": gid.title(), "eventSource": "statistic",
         "requirement": {"statCode": "kills", "operator": ">=", "targetValue": 3,
                         "progressMode": mode},
         "reward": {"type": "WALLET", "rewardId": "GOLD", "quantity": 5}}
    if rotation is not None:
        g["rotation"] = rotation
    return g


def rot(schedule, enabled=True):
    return {"enabled": enabled, "type": "global", "schedule": schedule,
            "onExpiry": {"resetProgress": True, "allowReselection": False}}


CONFIG = {"challenges": [
    {"challengeId": "rot-mixed", "name": "Mixed", "goals": [
        goal("mixed-plain", mode="absolute"),
        goal("mixed-disabled", rot("weekly", enabled=False), mode="absolute"),
        goal("mixed-daily", rot("daily")),
        goal("mixed-monthly", rot("monthly")),
    ]},
    {"challengeId": "rot-weekly", "name": "Weekly", "goals": [goal("weekly-1", rot("weekly"))]},
    {"challengeId": "rot-monthly", "name": "Monthly", "goals": [goal("monthly-1", rot("monthly")),
                                                              goal("monthly-2", rot("monthly"))]},
    {"challengeId": "rot-off", "name": "Off", "goals": [goal("off-1", rot("daily", False))]},
    {"challengeId": "rot-none", "name": "None", "goals": [goal("none-1", mode="absolute")]},
]}


def expected_rotation(challenge_cfg, now):
    """(enabled, type, schedule, current (start, end), next (start, end))."""
    for g in challenge_cfg["goals"]:
        r = g.get("rotation") or {}
        if r.get("enabled"):
            s = r["schedule"]
            start, end = period_start(s, now), period_end(s, now)
            return True, r["type"], s, (start, end), (end, period_end(s, end))
    return False, "", "", None, None


class RotationChecks:

    def assert_rotation(self, cid, challenge_cfg, path_id=None, exact_seconds=False, query=""):
        w = Window()
        r = call(self.server(), "GET", ROTATION.format(c=path_id or cid) + query)
        w.close()
        e0 = expected_rotation(challenge_cfg, w.now0())
        if e0 != expected_rotation(challenge_cfg, w.now1()):
            self.skipTest("a rotation boundary passed during the request")
        doc = assert_gateway_json(self, r, 200)
        self.assertEqual(doc.keys(), ["challengeId", "rotation"])
        self.assertEqual(doc.last("challengeId"), cid)
        rot_doc = doc.last("rotation")
        self.assertEqual(rot_doc.keys(), ["enabled", "type", "schedule", "currentPeriod",
                                          "nextPeriod"])
        enabled, rtype, schedule, cur, nxt = e0
        self.assertEqual((rot_doc.last("enabled"), rot_doc.last("type"), rot_doc.last("schedule")),
                         (enabled, rtype, schedule), cid)
        if not enabled:
            self.assertEqual((rot_doc.last("currentPeriod"), rot_doc.last("nextPeriod")),
                             (None, None), cid)
            return doc
        current = rot_doc.last("currentPeriod")
        self.assertEqual(current.keys(), ["startTime", "endTime", "expiresInSeconds"])
        self.assertEqual((current.last("startTime"), current.last("endTime")),
                         (rfc3339(cur[0]), rfc3339(cur[1])), cid)
        secs = current.last("expiresInSeconds")
        self.assertIs(type(secs), int)
        # truncated: a request at 10:00:00.7 has 13:59:59.3 left, i.e. 50399
        lo, hi = int(cur[1].timestamp() - w.t1), int(cur[1].timestamp() - w.t0)
        if not exact_seconds:
            hi += 1     # test_expires_in_seconds_is_truncated checks this bound
        self.assertTrue(max(lo, 0) <= secs <= hi, f"{cid}: expiresInSeconds {secs} not in [{lo},{hi}]")
        self.assertEqual(rot_doc.last("nextPeriod"),
                         Obj([("startTime", rfc3339(nxt[0])), ("endTime", rfc3339(nxt[1])),
                              ("expiresInSeconds", 0)]), cid)
        return doc


class DemoConfigRotationTests(SharedServer, RotationChecks, unittest.TestCase):

    def test_every_challenge_of_the_demo_config(self):
        cfg = load_config()["challenges"]
        self.assertEqual(sum(1 for c in cfg if expected_rotation(c, dt.datetime.now(UTC))[0]), 3)
        for c in cfg:
            with self.subTest(challenge=c["challengeId"]):
                self.assert_rotation(c["challengeId"], c)

    def test_expires_in_seconds_is_truncated(self):
        """§5.7: whole seconds until the period end, truncated (not rounded
        up from a whole-second clock)."""
        c = [c for c in load_config()["challenges"] if c["challengeId"] == "rotation-daily"][0]
        for _ in range(3):
            self.assert_rotation("rotation-daily", c, exact_seconds=True)

    def test_weekly_literal(self):
        """§5.7's example, written out: Monday 00:00 to Monday 00:00."""
        doc = self.assert_rotation("weekly-challenges",
                                   [c for c in load_config()["challenges"]
                                    if c["challengeId"] == "weekly-challenges"][0])
        cur = doc.last("rotation").last("currentPeriod")
        start = cur.last("startTime")
        d = dt.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual((d.weekday(), d.hour, d.minute, d.second), (0, 0, 0, 0))
        end = dt.datetime.strptime(cur.last("endTime"), "%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(end - d, dt.timedelta(days=7))

    def test_unknown_challenge_404(self):
        for cid in ("no-such-challenge", "Rotation-Daily", "rotation-daily "):
            with self.subTest(challenge=cid):
                assert_error(self, call(self.server(), "GET",
                                        ROTATION.format(c=cid.replace(" ", "%20"))),
                             404, 5, f"challenge not found: {cid}")

    def test_empty_challenge_id(self):
        r = call(self.server(), "GET", ROTATION.format(c=""))
        if r.status == 404:
            assert_error(self, r, 404, 5, "Not Found")
        else:
            assert_error(self, r, 400, 3, "challenge_id is required")

    def test_percent_encoded_id_and_query_ignored(self):
        c = [c for c in load_config()["challenges"] if c["challengeId"] == "rotation-daily"][0]
        self.assert_rotation("rotation-daily", c, path_id="rotation%2Ddaily")
        self.assert_rotation("rotation-daily", c, query="?challenge_id=x")

    def test_wrong_method(self):
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                r = call(self.server(), method, ROTATION.format(c="rotation-daily"), b"{}",
                         user_id("rot-m"))
                self.assertIn(r.status, (404, 405, 501), r.body)
                if r.status == 501:
                    assert_error(self, r, 501, 12, "Method Not Allowed")


class WrittenConfigRotationTests(SharedServer, RotationChecks, unittest.TestCase):

    @classmethod
    def prepare(cls):
        path = os.path.join(harness.tmp_dir(), "rotation-challenges.json")
        with open(path, "w") as f:
            json.dump(CONFIG, f)
        return {"CHALLENGE_CONFIG_PATH": path}, {}

    def test_every_challenge(self):
        for c in CONFIG["challenges"]:
            with self.subTest(challenge=c["challengeId"]):
                self.assert_rotation(c["challengeId"], c)

    def test_first_enabled_goal_decides(self):
        doc = self.assert_rotation("rot-mixed", CONFIG["challenges"][0])
        self.assertEqual(doc.last("rotation").last("schedule"), "daily")

    def test_monthly_next_period_is_the_next_calendar_month(self):
        doc = self.assert_rotation("rot-monthly", CONFIG["challenges"][2])
        rot_doc = doc.last("rotation")
        cur, nxt = rot_doc.last("currentPeriod"), rot_doc.last("nextPeriod")
        self.assertTrue(cur.last("startTime").endswith("-01T00:00:00Z"))
        self.assertEqual(cur.last("endTime"), nxt.last("startTime"))
        self.assertTrue(nxt.last("endTime").endswith("-01T00:00:00Z"))


if __name__ == "__main__":
    unittest.main()
