"""service.Service over gRPC on the real server (spec api.md §4, §5, §6,
§3.3, auth.md §5): every RPC's answer, decoded with the proto message, is
compared with what the REST route answers for the same user and state
(parity), errors arrive as gRPC status codes with the gateway's messages,
the caller comes from metadata (x-mock-user-id, else test-user-123, with
auth off; the token's sub with auth on), and GetUserChallenges follows its
own rules (locked = no row and prerequisites; expiry of rotating goals even
without a row)."""

import datetime as dt
import json
import os
import unittest

import grpc

import grpcutil as g
import harness
from gateway import (Window, batch, call, claim, grants_settled, initialize,
                     random_select, set_active)
from harness import SharedServer, fetch_rows, seed_rows, user_id
from listing import next_expiry, rfc3339
from tokens import Issuer, write_jwks

Code = grpc.StatusCode
OLD = "2025-01-01 00:00:00"
YESTERDAY = "=NOW() - interval '25 hours'"
# grpc-gateway's HTTP status of each code (§3.1), for the parity of errors
HTTP_OF = {Code.INVALID_ARGUMENT: 400, Code.FAILED_PRECONDITION: 400, Code.NOT_FOUND: 404,
           Code.ALREADY_EXISTS: 409, Code.PERMISSION_DENIED: 403, Code.UNAUTHENTICATED: 401,
           Code.INTERNAL: 500, Code.UNAVAILABLE: 503}


def rest_json(resp, status=200):
    if resp.status != status:
        raise AssertionError(f"REST answered {resp.status}, expected {status}: {resp.body[:300]!r}")
    return json.loads(resp.body)


def without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


class ServiceChecks:

    def setUp(self):
        self.ch = g.channel(self.server())
        self.addCleanup(self.ch.close)

    def rpc(self, rpc, user=None, metadata=None, **fields):
        md = metadata if metadata is not None else (g.mock_user(user) if user else None)
        return g.service_call(self.ch, rpc, metadata=md, **fields)

    def ok(self, r):
        self.assertEqual((r.code, r.details), (Code.OK, ""), r)
        return g.to_dict(r.answer)

    def failed(self, r, code, message):
        self.assertEqual((r.code, r.details), (code, message), r)

    def same_error(self, r, rest_resp, code, message):
        """The gRPC status and the REST route's error body agree, and both
        say what the spec says."""
        self.failed(r, code, message)
        body = rest_json(rest_resp, HTTP_OF[code])
        self.assertEqual(body, {"code": code.value[0], "message": message, "details": []})


class ServiceParityTests(ServiceChecks, SharedServer, unittest.TestCase):

    # --- GetUserChallenges -------------------------------------------------------

    def seed_listing_user(self):
        u = user_id("list")
        seed_rows([
            dict(user_id=u, goal_id="challenge-001-goal-01", progress=1, status="completed",
                 completed_at=OLD),
            dict(user_id=u, goal_id="complete-tutorial", progress=1, status="claimed",
                 completed_at=OLD, claimed_at="2025-01-02 03:04:05"),
            dict(user_id=u, goal_id="kill-10-snowmen", progress=4, status="in_progress"),
            dict(user_id=u, goal_id="daily-challenges-goal-01", progress=40, baseline_value=20,
                 status="completed", completed_at=OLD, updated_at=YESTERDAY),
            dict(user_id=u, goal_id="weekly-challenges-goal-01", progress=25, baseline_value=10,
                 status="in_progress"),
            dict(user_id=u, goal_id="daily-wins", progress=1, status="completed",
                 completed_at=OLD, is_active=False),
        ])
        return u

    def check_list(self, user, active_only, metadata=None):
        srv = self.server()
        w = Window()
        r = self.rpc("GetUserChallenges", user, metadata, active_only=active_only)
        got = self.ok(r)
        rest = rest_json(srv.list(user, "?active_only=true" if active_only else ""))
        w.close()
        rows = fetch_rows(user)
        cfg = harness.load_config()
        self.assertEqual([c["challengeId"] for c in got["challenges"]],
                         [c["challengeId"] for c in cfg["challenges"]])
        for c_cfg, c_rpc, c_rest in zip(cfg["challenges"], got["challenges"], rest["challenges"]):
            self.assertEqual(without(c_rpc, "goals"),
                             {"challengeId": c_cfg["challengeId"], "name": c_cfg["name"],
                              "description": c_cfg.get("description", "")})
            self.assertEqual(c_rest["challengeId"], c_cfg["challengeId"])
            for x_cfg, x_rpc, x_rest in zip(c_cfg["goals"], c_rpc["goals"], c_rest["goals"]):
                gid = x_cfg["goalId"]
                row = rows.get(gid)
                if row is not None and active_only and row["is_active"] != "t":
                    row = None
                prereq = x_cfg.get("prerequisites") or []
                exp = next_expiry(x_cfg, w.now0())
                want = {
                    "goalId": gid, "name": x_cfg["name"], "description": x_cfg.get("description", ""),
                    "requirement": {k: x_cfg["requirement"][k]
                                    for k in ("statCode", "operator", "targetValue")},
                    "reward": x_cfg["reward"], "prerequisites": prereq,
                    # the user's state as the REST list shows it
                    "progress": x_rest["progress"], "status": x_rest["status"],
                    "completedAt": x_rest["completedAt"], "claimedAt": x_rest["claimedAt"],
                    "isActive": x_rest["isActive"],
                    # gRPC's own rules
                    "locked": row is None and bool(prereq),
                    "expiresAt": rfc3339(exp),
                }
                self.assertEqual(without(x_rpc, "expiresInSeconds"), want, gid)
                if row is not None:
                    self.assertEqual(x_rpc["expiresAt"], x_rest["expiresAt"], gid)
                if exp is None:
                    self.assertEqual(x_rpc["expiresInSeconds"], 0, gid)
                else:
                    left = exp.timestamp()
                    self.assertTrue(left - w.t1 - 1 <= x_rpc["expiresInSeconds"] <= left - w.t0 + 1,
                                    (gid, x_rpc["expiresInSeconds"]))
        return got

    def test_get_user_challenges_matches_rest(self):
        u = self.seed_listing_user()
        got = self.check_list(u, False)
        goals = {x["goalId"]: x for c in got["challenges"] for x in c["goals"]}
        # the spot checks behind the parity
        self.assertEqual((goals["reach-level-5"]["locked"], goals["kill-10-snowmen"]["locked"]),
                         (True, False))
        self.assertEqual((goals["daily-challenges-goal-01"]["progress"],
                          goals["daily-challenges-goal-01"]["status"],
                          goals["daily-challenges-goal-01"]["completedAt"]),
                         (0, "not_started", "2025-01-01T00:00:00Z"))
        self.assertEqual((goals["weekly-challenges-goal-01"]["progress"],
                          goals["weekly-challenges-goal-01"]["status"]), (15, "in_progress"))
        self.assertEqual(goals["complete-tutorial"]["claimedAt"], "2025-01-02T03:04:05Z")
        self.assertEqual(goals["daily-wins"]["isActive"], False)
        # a rotating goal without a row still shows its expiry over gRPC
        self.assertNotEqual(goals["monthly-kills-goal"]["expiresAt"], "")

    def test_get_user_challenges_active_only_matches_rest(self):
        u = self.seed_listing_user()
        got = self.check_list(u, True)
        goals = {x["goalId"]: x for c in got["challenges"] for x in c["goals"]}
        self.assertEqual((goals["daily-wins"]["progress"], goals["daily-wins"]["status"],
                          goals["daily-wins"]["completedAt"], goals["daily-wins"]["isActive"]),
                         (0, "not_started", "", False))

    def test_get_user_challenges_new_user(self):
        self.check_list(user_id("empty"), False)

    # --- InitializePlayer ---------------------------------------------------------

    def test_initialize_matches_rest(self):
        srv = self.server()
        u = user_id("init")
        defaults = [x["goalId"] for c in harness.load_config()["challenges"] for x in c["goals"]
                    if x.get("defaultAssigned")]
        w = Window()
        first = self.ok(self.rpc("InitializePlayer", u))
        w.close()
        self.assertEqual((first["newAssignments"], first["totalActive"]),
                         (len(defaults), len(defaults)))
        self.assertEqual(sorted(x["goalId"] for x in first["assignedGoals"]), sorted(defaults))
        for x in first["assignedGoals"]:
            w.check_rfc3339(self, x["assignedAt"], "assignedAt")
        rows = fetch_rows(u)
        self.assertEqual(sorted(rows), sorted(defaults))
        self.assertTrue(all(r["is_active"] == "t" for r in rows.values()))
        # REST now takes the fast path: same goals, same values
        rest = rest_json(initialize(srv, u))
        self.assertEqual((rest["newAssignments"], rest["totalActive"]), (0, len(defaults)))
        by_goal = {x["goalId"]: x for x in rest["assignedGoals"]}
        for x in first["assignedGoals"]:
            self.assertEqual(x, by_goal[x["goalId"]])
        # and a second gRPC call answers exactly what REST answers
        again = self.ok(self.rpc("InitializePlayer", u))
        rest = rest_json(initialize(srv, u))
        self.assertEqual(again, rest)

    # --- SetGoalActive ----------------------------------------------------------

    def test_set_goal_active_matches_rest(self):
        srv = self.server()
        u, v = user_id("act-g"), user_id("act-r")
        for active, msg in ((True, "Goal activated successfully"),
                            (False, "Goal deactivated successfully")):
            with self.subTest(active=active):
                w = Window()
                got = self.ok(self.rpc("SetGoalActive", u, challenge_id="daily-challenges",
                                       goal_id="daily-wins", is_active=active))
                rest = rest_json(set_active(srv, v, "daily-challenges", "daily-wins",
                                            {"is_active": active}))
                w.close()
                self.assertEqual(without(got, "assignedAt"), without(rest, "assignedAt"))
                self.assertEqual(without(got, "assignedAt"),
                                 {"challengeId": "daily-challenges", "goalId": "daily-wins",
                                  "isActive": active, "message": msg})
                w.check_rfc3339(self, got["assignedAt"], "assignedAt")
                self.assertEqual(fetch_rows(u)["daily-wins"]["is_active"], "t" if active else "f")

    def test_set_goal_active_errors(self):
        srv = self.server()
        u = user_id("act-err")
        r = self.rpc("SetGoalActive", u, challenge_id="", goal_id="daily-wins", is_active=True)
        self.failed(r, Code.INVALID_ARGUMENT, "challenge_id is required")
        r = self.rpc("SetGoalActive", u, challenge_id="daily-challenges", goal_id="", is_active=True)
        self.failed(r, Code.INVALID_ARGUMENT, "goal_id is required")
        for c, goal, msg in [
            ("daily-challenges", "nope",
             "failed to set goal active status: goal 'nope' not found in challenge 'daily-challenges'"),
            ("daily-challenges", "challenge-001-goal-01",
             "failed to set goal active status: goal 'challenge-001-goal-01' does not belong to "
             "challenge 'daily-challenges'"),
        ]:
            with self.subTest(goal=goal):
                r = self.rpc("SetGoalActive", u, challenge_id=c, goal_id=goal, is_active=True)
                self.same_error(r, set_active(srv, u, c, goal, {"is_active": True}),
                                Code.INTERNAL, msg)
        self.assertEqual(fetch_rows(u), {})

    # --- ClaimGoalReward ----------------------------------------------------------

    def test_claim_matches_rest(self):
        srv = self.server()
        u, v = user_id("claim-g"), user_id("claim-r")
        seed_rows([dict(user_id=x, goal_id="challenge-001-goal-01", progress=1,
                        status="completed", completed_at=OLD) for x in (u, v)])
        w = Window()
        got = self.ok(self.rpc("ClaimGoalReward", u, challenge_id="challenge-001",
                               goal_id="challenge-001-goal-01"))
        rest = rest_json(claim(srv, v, "challenge-001", "challenge-001-goal-01"))
        w.close()
        self.assertEqual(without(got, "claimedAt"), without(rest, "claimedAt"))
        self.assertEqual(without(got, "claimedAt"),
                         {"goalId": "challenge-001-goal-01", "status": "claimed",
                          "reward": {"type": "WALLET", "rewardId": "GEMS", "quantity": 10}})
        w.check_rfc3339(self, got["claimedAt"], "claimedAt")
        row = fetch_rows(u)["challenge-001-goal-01"]
        self.assertEqual(row["status"], "claimed")
        w.check_db(self, row["claimed_at"], "claimed_at")
        self.assertEqual(len(grants_settled(srv, u)), 1, "one grant per claim")
        # the second claim: AlreadyExists with the stored claim time, as REST
        stamp = dt.datetime.strptime(row["claimed_at"].split(".")[0], "%Y-%m-%d %H:%M:%S")
        msg = ("Reward has already been claimed (goal_id: challenge-001-goal-01, claimed_at: "
               f"{stamp.strftime('%Y-%m-%dT%H:%M:%SZ')})")
        r = self.rpc("ClaimGoalReward", u, challenge_id="challenge-001",
                     goal_id="challenge-001-goal-01")
        self.failed(r, Code.ALREADY_EXISTS, msg)
        rest = rest_json(claim(srv, u, "challenge-001", "challenge-001-goal-01"), 409)
        self.assertEqual(rest, {"code": 6, "message": msg, "details": []})
        self.assertEqual(len(grants_settled(srv, u)), 1)

    def test_claim_errors(self):
        srv = self.server()
        u = user_id("claim-err")
        seed_rows([dict(user_id=u, goal_id="daily-wins", progress=1, status="completed",
                        completed_at=OLD, is_active=False),
                   dict(user_id=u, goal_id="daily-challenges-goal-01", progress=30,
                        baseline_value=10, status="completed", completed_at=OLD,
                        updated_at=YESTERDAY),
                   dict(user_id=u, goal_id="kill-10-snowmen", progress=3, status="in_progress")])
        r = self.rpc("ClaimGoalReward", u, challenge_id="", goal_id="x")
        self.failed(r, Code.INVALID_ARGUMENT, "challenge_id is required")
        r = self.rpc("ClaimGoalReward", u, challenge_id="x", goal_id="")
        self.failed(r, Code.INVALID_ARGUMENT, "goal_id is required")
        cases = [
            ("daily-challenges", "nope", Code.NOT_FOUND,
             "Goal not found or removed from config (goal_id: nope, challenge_id: daily-challenges)"),
            ("challenge-001", "daily-wins", Code.NOT_FOUND,
             "Goal not found or removed from config (goal_id: daily-wins, challenge_id: challenge-001)"),
            ("daily-challenges", "daily-headshots", Code.FAILED_PRECONDITION,
             "Goal not completed. Please wait 1 second and try again. (goal_id: daily-headshots, "
             "status: not_started)"),
            ("daily-challenges", "daily-wins", Code.FAILED_PRECONDITION,
             "Goal must be active to claim reward. Activate it first via PUT "
             "/v1/challenges/daily-challenges/goals/daily-wins/active (goal_id: daily-wins)"),
            ("rotation-daily", "daily-challenges-goal-01", Code.FAILED_PRECONDITION,
             "Goal has rotated and must be re-completed (goal_id: daily-challenges-goal-01, "
             "challenge_id: rotation-daily)"),
            ("winter-challenge-2025", "kill-10-snowmen", Code.FAILED_PRECONDITION,
             "Goal not completed. Please wait 1 second and try again. (goal_id: kill-10-snowmen, "
             "status: in_progress)"),
        ]
        before = fetch_rows(u)
        for c, goal, code, msg in cases:
            with self.subTest(goal=goal, challenge=c):
                r = self.rpc("ClaimGoalReward", u, challenge_id=c, goal_id=goal)
                self.same_error(r, claim(srv, u, c, goal), code, msg)
        self.assertEqual(fetch_rows(u), before)
        self.assertEqual(grants_settled(srv, u), [])

    # --- BatchSelectGoals / RandomSelectGoals -------------------------------------

    def test_batch_select_matches_rest(self):
        srv = self.server()
        u, v = user_id("batch-g"), user_id("batch-r")
        for x in (u, v):
            seed_rows([dict(user_id=x, goal_id="daily-login", assigned_at=OLD)])
        ids = ["daily-wins", "daily-headshots"]
        w = Window()
        got = self.ok(self.rpc("BatchSelectGoals", u, challenge_id="daily-challenges",
                               goal_ids=ids, replace_existing=True))
        rest = rest_json(batch(srv, v, "daily-challenges",
                               {"goal_ids": ids, "replace_existing": True}))
        w.close()

        def strip(d):
            return dict(d, selectedGoals=[without(x, "assignedAt") for x in d["selectedGoals"]])

        self.assertEqual(strip(got), strip(rest))
        self.assertEqual((got["totalActiveGoals"], got["replacedGoals"], got["challengeId"]),
                         (2, ["daily-login"], "daily-challenges"))
        self.assertEqual([x["goalId"] for x in got["selectedGoals"]], ids)
        for x in got["selectedGoals"]:
            w.check_rfc3339(self, x["assignedAt"], "assignedAt")
            self.assertEqual((x["status"], x["progress"], x["isActive"]), ("not_started", 0, True))
        rows = fetch_rows(u)
        self.assertEqual({k: r["is_active"] for k, r in rows.items()},
                         {"daily-login": "f", "daily-wins": "t", "daily-headshots": "t"})

    def test_batch_select_errors(self):
        srv = self.server()
        u = user_id("batch-err")
        r = self.rpc("BatchSelectGoals", u, challenge_id="", goal_ids=["x"])
        self.failed(r, Code.INVALID_ARGUMENT, "challenge_id is required")
        cases = [
            ("daily-challenges", [], Code.INVALID_ARGUMENT, "goal_ids cannot be empty"),
            ("nope", ["x"], Code.NOT_FOUND, "challenge 'nope' not found"),
            ("daily-challenges", ["daily-wins", "nope"], Code.NOT_FOUND, "goal 'nope' not found"),
            ("daily-challenges", ["challenge-001-goal-01"], Code.INTERNAL,
             "failed to batch select goals: goal 'challenge-001-goal-01' does not belong to "
             "challenge 'daily-challenges'"),
        ]
        for c, ids, code, msg in cases:
            with self.subTest(challenge=c, ids=ids):
                r = self.rpc("BatchSelectGoals", u, challenge_id=c, goal_ids=ids)
                self.same_error(r, batch(srv, u, c, {"goal_ids": ids}), code, msg)
        self.assertEqual(fetch_rows(u), {})

    def test_random_select(self):
        srv = self.server()
        u = user_id("rand")
        w = Window()
        got = self.ok(self.rpc("RandomSelectGoals", u, challenge_id="daily-challenges", count=3,
                               exclude_active=True))
        w.close()
        cfg = {x["goalId"]: x for x in
               next(c for c in harness.load_config()["challenges"]
                    if c["challengeId"] == "daily-challenges")["goals"]}
        picked = [x["goalId"] for x in got["selectedGoals"]]
        self.assertEqual(len(set(picked)), 3)
        self.assertTrue(set(picked) <= set(cfg))
        self.assertEqual((got["challengeId"], got["totalActiveGoals"], got["replacedGoals"]),
                         ("daily-challenges", 3, []))
        for x in got["selectedGoals"]:
            c = cfg[x["goalId"]]
            self.assertEqual(without(x, "assignedAt"), {
                "goalId": c["goalId"], "name": c["name"], "description": c.get("description", ""),
                "requirement": {k: c["requirement"][k] for k in ("statCode", "operator",
                                                                 "targetValue")},
                "reward": c["reward"], "status": "not_started", "progress": 0,
                "target": c["requirement"]["targetValue"], "isActive": True, "expiresAt": ""})
            w.check_rfc3339(self, x["assignedAt"], "assignedAt")
        self.assertEqual(sorted(k for k, r in fetch_rows(u).items() if r["is_active"] == "t"),
                         sorted(picked))
        # the same shape as the REST route's answer
        rest = rest_json(random_select(srv, u, "daily-challenges", {"count": 1,
                                                                    "exclude_active": True}))
        # (MessageToDict puts zero-valued fields last, so compare key sets)
        self.assertEqual(set(rest), set(got))
        self.assertEqual(set(rest["selectedGoals"][0]), set(got["selectedGoals"][0]))

    def test_random_select_errors(self):
        srv = self.server()
        u = user_id("rand-err")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01", progress=1,
                        status="completed", completed_at=OLD)])
        r = self.rpc("RandomSelectGoals", u, challenge_id="", count=1)
        self.failed(r, Code.INVALID_ARGUMENT, "challenge_id is required")
        cases = [
            ("daily-challenges", 0, Code.INVALID_ARGUMENT, "count must be greater than 0"),
            ("daily-challenges", -2, Code.INVALID_ARGUMENT, "count must be greater than 0"),
            ("nope", 1, Code.NOT_FOUND, "challenge 'nope' not found"),
            ("challenge-001", 2, Code.INVALID_ARGUMENT,
             "INSUFFICIENT_GOALS: no goals available for selection (available: 0, requested: 2)"),
        ]
        before = fetch_rows(u)
        for c, n, code, msg in cases:
            with self.subTest(challenge=c, count=n):
                r = self.rpc("RandomSelectGoals", u, challenge_id=c, count=n)
                self.same_error(r, random_select(srv, u, c, {"count": n}), code, msg)
        self.assertEqual(fetch_rows(u), before)

    # --- GetRotationStatus / HealthCheck --------------------------------------------

    def test_rotation_status_matches_rest(self):
        srv = self.server()
        for c in harness.load_config()["challenges"]:
            cid = c["challengeId"]
            with self.subTest(challenge=cid):
                got = self.ok(self.rpc("GetRotationStatus", "rot", challenge_id=cid))
                rest = rest_json(call(srv, "GET", f"/v1/challenges/{cid}/rotation", user="rot"))
                # proto3 JSON leaves unset messages out; the gateway shows null
                for k in ("currentPeriod", "nextPeriod"):
                    got["rotation"].setdefault(k, None)
                cur_g, cur_r = got["rotation"]["currentPeriod"], rest["rotation"]["currentPeriod"]
                if cur_g and cur_r:
                    self.assertLessEqual(abs(cur_g.pop("expiresInSeconds") -
                                             cur_r.pop("expiresInSeconds")), 1)
                self.assertEqual(got, rest)
                self.assertEqual(got["rotation"]["enabled"],
                                 any((x.get("rotation") or {}).get("enabled") for x in c["goals"]))
        r = self.rpc("GetRotationStatus", "rot", challenge_id="nope")
        self.same_error(r, call(srv, "GET", "/v1/challenges/nope/rotation"), Code.NOT_FOUND,
                        "challenge not found: nope")
        r = self.rpc("GetRotationStatus", "rot", challenge_id="")
        self.failed(r, Code.INVALID_ARGUMENT, "challenge_id is required")

    def test_health_check(self):
        got = self.ok(self.rpc("HealthCheck"))
        self.assertEqual(got, {"status": "healthy"})
        self.assertEqual(rest_json(self.server().get("/healthz")), got)

    # --- identity with auth off (auth.md §5) -------------------------------------

    def test_default_and_mock_users(self):
        srv = self.server()
        # no metadata: test-user-123 (not the optimized handlers' test-user-id)
        active = fetch_rows("test-user-123").get("daily-headshots", {}).get("is_active") != "t"
        self.ok(self.rpc("SetGoalActive", metadata=(), challenge_id="daily-challenges",
                         goal_id="daily-headshots", is_active=active))
        self.assertEqual(fetch_rows("test-user-123")["daily-headshots"]["is_active"],
                         "t" if active else "f")
        got = self.ok(self.rpc("GetUserChallenges", metadata=()))
        rest = rest_json(srv.list("test-user-123"))
        head = [x for c in got["challenges"] for x in c["goals"] if x["goalId"] == "daily-headshots"]
        head_rest = [x for c in rest["challenges"] for x in c["goals"]
                     if x["goalId"] == "daily-headshots"]
        self.assertEqual(head[0]["isActive"], head_rest[0]["isActive"])
        self.assertEqual(head[0]["isActive"], active)
        # the gateway's forwarded form names the user too; an empty value does not
        for key in ("x-mock-user-id", "grpcgateway-x-mock-user-id"):
            with self.subTest(key=key):
                u = user_id("md")
                self.ok(self.rpc("SetGoalActive", metadata=((key, u),),
                                 challenge_id="daily-challenges", goal_id="daily-wins",
                                 is_active=True))
                self.assertEqual(list(fetch_rows(u)), ["daily-wins"])
        u = user_id("md-empty")
        self.ok(self.rpc("SetGoalActive", metadata=(("x-mock-user-id", ""),
                                                    ("grpcgateway-x-mock-user-id", u)),
                         challenge_id="daily-challenges", goal_id="daily-wins", is_active=True))
        self.assertEqual(list(fetch_rows(u)), ["daily-wins"])

    def test_undecodable_request(self):
        r = g.unary(self.ch, g.SERVICE + "SetGoalActive", b"\x0a\xff\xff\xff",
                    metadata=g.mock_user("x"))
        self.assertEqual(r.code, Code.INVALID_ARGUMENT, r)


# --- auth on (api.md §3.3) -----------------------------------------------------------

_issuer = None
_stranger = None


def issuer():
    global _issuer, _stranger
    if _issuer is None:
        _issuer = Issuer("it-grpc-kid")
        _stranger = Issuer("it-grpc-kid")   # same kid, a key the server does not know
    return _issuer


class ServiceAuthTests(ServiceChecks, SharedServer, unittest.TestCase):

    @classmethod
    def prepare(cls):
        path = os.path.join(harness.tmp_dir(), "grpc-jwks.json")
        write_jwks(path, issuer())
        env = {"PLUGIN_GRPC_SERVER_AUTH_ENABLED": "true", "AUTH_JWKS_FILE": path}
        return env, {"headers": {"Authorization": "Bearer " + issuer().token("probe")}}

    REQUESTS = {
        "GetUserChallenges": {}, "InitializePlayer": {},
        "SetGoalActive": {"challenge_id": "daily-challenges", "goal_id": "daily-wins",
                          "is_active": True},
        "ClaimGoalReward": {"challenge_id": "challenge-001", "goal_id": "challenge-001-goal-01"},
        "BatchSelectGoals": {"challenge_id": "daily-challenges", "goal_ids": ["daily-wins"]},
        "RandomSelectGoals": {"challenge_id": "daily-challenges", "count": 1},
        "GetRotationStatus": {"challenge_id": "daily-challenges"},
        "HealthCheck": {},
    }

    def bearer(self, tok):
        return (("authorization", "Bearer " + tok),)

    def test_missing_authorization_every_rpc(self):
        for rpc, fields in self.REQUESTS.items():
            with self.subTest(rpc=rpc):
                # x-mock-user-id is no credential when auth is on
                r = self.rpc(rpc, metadata=(("x-mock-user-id", "someone"),), **fields)
                self.failed(r, Code.UNAUTHENTICATED, "authorization metadata is missing")
        self.assertEqual(fetch_rows("someone"), {})

    def test_empty_authorization(self):
        r = self.rpc("HealthCheck", metadata=(("authorization", ""),))
        self.failed(r, Code.UNAUTHENTICATED, "authorization metadata length is 0")

    def test_bad_tokens_permission_denied(self):
        srv = self.server()
        for what, tok in [("unknown key", _stranger_token("u")),
                          ("expired", issuer().token("u", exp_in=-3600)),
                          ("garbage", "a.b.c"),
                          ("unknown kid", issuer().token("u", kid="other-kid"))]:
            with self.subTest(token=what):
                r = self.rpc("SetGoalActive", metadata=self.bearer(tok),
                             **self.REQUESTS["SetGoalActive"])
                self.assertEqual(r.code, Code.PERMISSION_DENIED, r)
                self.assertTrue(r.details, "a validator message")
                # the gateway route says the same
                rest = rest_json(set_active(srv, None, "daily-challenges", "daily-wins",
                                            {"is_active": True},
                                            headers={"Authorization": "Bearer " + tok}), 403)
                self.assertEqual(rest, {"code": 7, "message": r.details, "details": []})
        self.assertEqual(fetch_rows("u"), {})

    def test_valid_token_names_the_user(self):
        u, other = user_id("tok"), user_id("tok-mock")
        tok = issuer().token(u)
        r = self.rpc("SetGoalActive", metadata=self.bearer(tok) + (("x-mock-user-id", other),),
                     **self.REQUESTS["SetGoalActive"])
        self.ok(r)
        self.assertEqual(list(fetch_rows(u)), ["daily-wins"])
        self.assertEqual(fetch_rows(other), {})
        got = self.ok(self.rpc("GetUserChallenges", metadata=self.bearer(tok)))
        wins = [x for c in got["challenges"] for x in c["goals"] if x["goalId"] == "daily-wins"]
        self.assertEqual(wins[0]["isActive"], True)
        self.assertEqual(self.ok(self.rpc("HealthCheck", metadata=self.bearer(tok))),
                         {"status": "healthy"})

    def test_bearer_prefix_rules(self):
        # "Bearer " is stripped only when exactly so; otherwise the whole
        # value is the token (so a bare token works, "bearer x" does not).
        u = user_id("bare")
        tok = issuer().token(u)
        self.ok(self.rpc("SetGoalActive", metadata=(("authorization", tok),),
                         **self.REQUESTS["SetGoalActive"]))
        self.assertEqual(list(fetch_rows(u)), ["daily-wins"])
        for value in ("bearer " + tok, "Bearer  " + tok):
            with self.subTest(prefix=value[:8]):
                r = self.rpc("HealthCheck", metadata=(("authorization", value),))
                self.assertEqual(r.code, Code.PERMISSION_DENIED, r)

    def test_token_without_sub(self):
        r = self.rpc("HealthCheck", metadata=self.bearer(issuer().token("")))
        self.failed(r, Code.INTERNAL, "failed to decode JWT claims: user ID (sub claim) is empty")

    def test_event_services_need_no_token(self):
        # auth.md §6: the Extend event services are not authenticated
        u = user_id("evt-noauth")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01")])
        r = g.login(self.ch, u)
        self.assertEqual(r.code, Code.OK, r)
        self.assertEqual(fetch_rows(u)["challenge-001-goal-01"]["progress"], "1")
        r = g.stat(self.ch, u, "wins", 1, 1)
        self.assertEqual(r.code, Code.OK, r)


def _stranger_token(sub):
    issuer()
    return _stranger.token(sub)


if __name__ == "__main__":
    unittest.main()
