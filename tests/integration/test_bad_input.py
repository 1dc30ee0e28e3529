"""Bad input on the write routes (spec api.md §2.2, §3.1, §3.3, §6, and our
deliberate choices): malformed or non-object JSON, wrong types, unknown and
oversized ids, bodies over the limit, deep nesting, thousands of goal ids,
bad tokens with auth on, and Postgres going away. Each case gets a clear
error, changes no row, and leaves the server serving."""

import json
import os
import time
import unittest

import harness
from gateway import (ACTIVE, BATCH, CLAIM, INITIALIZE, RANDOM, ROTATION, assert_decode_error,
                     assert_error, assert_gateway_json, call, grant_lines, plain, poll)
from harness import AuxCluster, SharedServer, Server, fetch_rows, read_response, seed_rows, user_id
from tokens import Issuer, write_jwks

OLD = "2025-01-01 00:00:00"
LIMIT = 1 << 20     # CHALLENGED_MAX_BODY_BYTES default

# (name, method, path) of every gateway route that takes a body
BODY_ROUTES = [
    ("set-active", "PUT", ACTIVE.format(c="daily-quests", g="login-today")),
    ("claim", "POST", CLAIM.format(c="daily-quests", g="login-today")),
    ("batch-select", "POST", BATCH.format(c="daily-quests")),
    ("random-select", "POST", RANDOM.format(c="daily-quests")),
]


def seed_state(user):
    """A completed, claimable goal and an inactive one: anything a bad
    request wrongly did would show in these rows."""
    seed_rows([dict(user_id=user, goal_id="login-today", progress=1, status="completed",
                    completed_at=OLD, assigned_at=OLD, updated_at=OLD),
               dict(user_id=user, goal_id="play-3-matches", progress=1, status="in_progress",
                    is_active=False, assigned_at=OLD, updated_at=OLD)])


class BadInputChecks:

    def unchanged(self, user, before):
        srv = self.server()
        self.assertEqual(fetch_rows(user), before, "the request changed rows")
        self.assertEqual(grant_lines(srv, user), [], "the request granted a reward")

    def serving(self):
        srv = self.server()
        self.assertTrue(srv.alive(), srv.log_tail())
        r = srv.get("/healthz")
        self.assertEqual((r.status, r.body), (200, b'{"status":"healthy"}'))


MALFORMED = [b"{", b"}", b'{"is_active":}', b"not json", b'{"a":1,}', b"{'a':1}", b'{"a" 1}',
             b'{"a":tru}', b"\xff\xfe{}", b'{"a":"\xff"}', b"{}{}", b"{} x", b'{"a":1}}', b"\x00",
             b'{"a":"\x01"}', b'{"a":01}', b'{"a":NaN}', b'{"a":"\\u12"}']
NOT_OBJECTS = [b"[]", b"1", b'"x"', b"null", b"true", b"[{}]", b"-0"]


class BadBodyTests(SharedServer, BadInputChecks, unittest.TestCase):

    def each_route(self, bodies, check, routes=None):
        user = user_id("bad-body")
        seed_state(user)
        before = fetch_rows(user)
        for name, method, path in routes or [r for r in BODY_ROUTES if r[0] != "claim"]:
            for body in bodies:
                with self.subTest(route=name, body=body[:60]):
                    check(call(self.server(), method, path, body, user))
        self.unchanged(user, before)
        self.serving()

    def test_malformed_json(self):
        self.each_route(MALFORMED, lambda r: assert_decode_error(self, r))

    def test_not_an_object(self):
        self.each_route(NOT_OBJECTS, lambda r: assert_decode_error(self, r))

    def test_claim_body_is_decoded_too(self):
        """§5.4 ignores the body's content, but §2.2/§6 still decode it as a
        ClaimRewardRequest: a body that is not one is a 400, and must not
        claim (the seeded goal is claimable)."""
        self.each_route(MALFORMED + NOT_OBJECTS + [b'{"goal_id":1}', b'{"challenge_id":[]}'],
                        lambda r: assert_decode_error(self, r),
                        routes=[r for r in BODY_ROUTES if r[0] == "claim"])

    def test_wrong_field_types(self):
        user = user_id("bad-types")
        seed_state(user)
        before = fetch_rows(user)
        cases = [
            ("set-active", b'{"is_active":"yes"}'), ("set-active", b'{"isActive":[]}'),
            ("batch-select", b'{"goal_ids":"login-today"}'), ("batch-select", b'{"goal_ids":[true]}'),
            ("batch-select", b'{"goal_ids":["login-today"],"replace_existing":"no"}'),
            ("random-select", b'{"count":"many"}'), ("random-select", b'{"count":{}}'),
            ("random-select", b'{"count":1,"exclude_active":false,"excludeActive":true}'),
        ]
        routes = {name: (method, path) for name, method, path in BODY_ROUTES}
        for name, body in cases:
            with self.subTest(route=name, body=body):
                method, path = routes[name]
                assert_decode_error(self, call(self.server(), method, path, body, user))
        self.unchanged(user, before)
        self.serving()

    def test_unknown_ids(self):
        user = user_id("bad-ids")
        seed_state(user)
        before = fetch_rows(user)
        srv = self.server()
        cases = [
            ("PUT", ACTIVE.format(c="daily-quests", g="nope"), {"is_active": True}, 500, 13,
             "failed to set goal active status: goal 'nope' not found in challenge 'daily-quests'"),
            ("POST", CLAIM.format(c="nope", g="login-today"), {}, 404, 5,
             "Goal not found or removed from config (goal_id: login-today, challenge_id: nope)"),
            ("POST", BATCH.format(c="nope"), {"goal_ids": ["login-today"]}, 404, 5,
             "challenge 'nope' not found"),
            ("POST", BATCH.format(c="daily-quests"), {"goal_ids": ["nope"]}, 404, 5,
             "goal 'nope' not found"),
            ("POST", RANDOM.format(c="nope"), {"count": 1}, 404, 5, "challenge 'nope' not found"),
            ("GET", ROTATION.format(c="nope"), None, 404, 5, "challenge not found: nope"),
        ]
        for method, path, body, status, code, msg in cases:
            with self.subTest(path=path):
                assert_error(self, call(srv, method, path, body, user), status, code, msg)
        self.unchanged(user, before)
        self.serving()

    def id_cases(self):
        """(path template kind, challenge id, goal id) with one bad id."""
        long_id = "a" * 257
        return [
            ("challenge", long_id, "login-today"),
            ("goal", "daily-quests", long_id),
            ("challenge", "%61" * 257, "login-today"),      # 257 bytes once decoded
            ("goal", "daily-quests", "%61" * 257),
            ("challenge", "daily%00quests", "login-today"),
            ("goal", "daily-quests", "login%0Atoday"),
            ("challenge", "daily%09quests", "login-today"),
            ("goal", "daily-quests", "%1Flogin-today"),
            ("challenge", "%0D%0A", "login-today"),
        ]

    def test_ids_too_long_or_with_control_characters(self):
        user = user_id("bad-long")
        seed_state(user)
        before = fetch_rows(user)
        srv = self.server()
        for which, c, g in self.id_cases():
            routes = [("PUT", ACTIVE.format(c=c, g=g), {"is_active": True}),
                      ("POST", CLAIM.format(c=c, g=g), {})]
            if which == "challenge":
                routes += [("POST", BATCH.format(c=c), {"goal_ids": ["login-today"]}),
                           ("POST", RANDOM.format(c=c), {"count": 1}),
                           ("GET", ROTATION.format(c=c), None)]
            for method, path, body in routes:
                with self.subTest(path=path[:80]):
                    assert_error(self, call(srv, method, path, body, user), 400, 3,
                                 prefix=f"invalid {which}_id")
        self.unchanged(user, before)
        self.serving()

    def test_ids_of_256_bytes_are_still_ids(self):
        user = user_id("bad-256")
        srv = self.server()
        c = "c" * 256
        assert_error(self, call(srv, "GET", ROTATION.format(c=c)), 404, 5,
                     f"challenge not found: {c}")
        assert_error(self, call(srv, "GET", ROTATION.format(c="%63" * 256)), 404, 5,
                     f"challenge not found: {c}")
        g = "g" * 256
        assert_error(self, call(srv, "POST", CLAIM.format(c="daily-quests", g=g), {}, user), 404, 5,
                     f"Goal not found or removed from config (goal_id: {g}, challenge_id: daily-quests)")
        assert_error(self, call(srv, "PUT", ACTIVE.format(c="daily-quests", g=g),
                                {"is_active": True}, user), 500, 13,
                     f"failed to set goal active status: goal '{g}' not found in challenge 'daily-quests'")
        self.assertEqual(fetch_rows(user), {})
        self.serving()

    def test_moderate_nesting_in_unknown_fields_is_ignored(self):
        user = user_id("bad-nest-ok")
        nested = b"[" * 40 + b"]" * 40
        r = call(self.server(), "PUT", ACTIVE.format(c="daily-quests", g="login-today"),
                 b'{"extra":' + nested + b',"is_active":true}', user)
        assert_gateway_json(self, r, 200)
        self.assertEqual(fetch_rows(user)["login-today"]["is_active"], "t")

    def test_count_out_of_int32_range(self):
        user = user_id("bad-count")
        seed_state(user)
        before = fetch_rows(user)
        for body in (b'{"count":2147483648}', b'{"count":"2147483648"}', b'{"count":-2147483649}',
                     b'{"count":99999999999999999999999}', b'{"count":1e10}'):
            with self.subTest(body=body):
                assert_decode_error(self, call(self.server(), "POST", RANDOM.format(c="daily-quests"),
                                               body, user))
        for body in (b'{"count":0}', b'{"count":-1}', b'{"count":-2147483648}'):
            with self.subTest(body=body):
                assert_error(self, call(self.server(), "POST", RANDOM.format(c="daily-quests"),
                                        body, user), 400, 3, "count must be greater than 0")
        self.unchanged(user, before)
        self.serving()


class LargeBodyTests(SharedServer, BadInputChecks, unittest.TestCase):
    """Bodies bigger than one read, on a server of their own."""

    def raw(self, head, body_parts=()):
        """Sends a head and body parts on one connection; returns the status
        (None if the server closed without answering)."""
        s = self.server().connect()
        try:
            s.sendall(head)
            for part in body_parts:
                try:
                    s.sendall(part)
                except (BrokenPipeError, ConnectionResetError):
                    break
            try:
                status, _, _, _ = read_response(s)
            except (EOFError, ConnectionResetError):
                return None
            return status
        finally:
            s.close()

    def test_deep_nesting(self):
        # deeper than protobuf-JSON's limit of 10000 as well as ours
        user = user_id("big-nest")
        seed_state(user)
        before = fetch_rows(user)
        for body in (b'{"x":' + b"[" * 100000 + b"]" * 100000 + b"}",
                     b'{"x":' + b'{"a":' * 50000 + b"1" + b"}" * 50000 + b"}",
                     b"[" * 100000 + b"]" * 100000,
                     b'{"x":' + b"[" * 100000):
            for name, method, path in BODY_ROUTES:
                if name == "claim":
                    continue        # BadBodyTests.test_claim_body_is_decoded_too
                with self.subTest(route=name, body=body[:12]):
                    assert_error(self, call(self.server(), method, path, body, user), 400, 3)
        self.unchanged(user, before)
        self.serving()

    def test_body_over_the_limit_413(self):
        user = user_id("big-413")
        seed_state(user)
        before = fetch_rows(user)
        for name, method, path in BODY_ROUTES:
            with self.subTest(route=name):
                head = (f"{method} {harness.BASE_PATH}{path} HTTP/1.1\r\nHost: t\r\n"
                        f"x-mock-user-id: {user}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {LIMIT + 1}\r\n\r\n").encode()
                self.assertEqual(self.raw(head), 413)
        # the same as chunked: the limit counts the decoded payload
        head = (f"POST {harness.BASE_PATH}{BATCH.format(c='daily-quests')} HTTP/1.1\r\nHost: t\r\n"
                f"x-mock-user-id: {user}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
        self.assertEqual(self.raw(head, [chunk] * 17 + [b"0\r\n\r\n"]), 413)
        self.unchanged(user, before)
        self.serving()

    def test_body_at_the_limit_accepted(self):
        user = user_id("big-ok")
        prefix, suffix = b'{"goal_ids":["login-today"],"pad":"', b'"}'
        body = prefix + b"x" * (LIMIT - len(prefix) - len(suffix)) + suffix
        self.assertEqual(len(body), LIMIT)
        r = call(self.server(), "POST", BATCH.format(c="daily-quests"), body, user, timeout=30)
        doc = assert_gateway_json(self, r, 200)
        self.assertEqual([s.last("goalId") for s in doc.last("selectedGoals")], ["login-today"])
        self.assertEqual(fetch_rows(user)["login-today"]["is_active"], "t")
        self.serving()

    def test_five_thousand_goal_ids(self):
        user = user_id("big-ids")
        seed_state(user)
        before = fetch_rows(user)
        srv = self.server()
        ids = ["login-today", "play-3-matches"] + [f"no-such-goal-{i}" for i in range(4998)]
        t0 = time.monotonic()
        assert_error(self, call(srv, "POST", BATCH.format(c="daily-quests"),
                                {"goal_ids": ids, "replace_existing": True}, user), 404, 5,
                     "goal 'no-such-goal-0' not found")
        assert_error(self, call(srv, "POST", BATCH.format(c="daily-quests"),
                                {"goal_ids": ["login-today"] * 5000}, user), 400, 3,
                     "duplicate goal id 'login-today' in goal_ids")
        self.assertLess(time.monotonic() - t0, 10 * harness.SLOW)
        self.unchanged(user, before)
        self.serving()


# --- auth on -----------------------------------------------------------------------

_issuer = None
_stranger = None


def issuer():
    global _issuer, _stranger
    if _issuer is None:
        _issuer = Issuer("it-writes-kid")
        _stranger = Issuer("it-writes-kid")     # same kid, key the server does not know
    return _issuer


# (name, method, path, body) of every gateway route
GATEWAY_ROUTES = [
    ("set-active", "PUT", ACTIVE.format(c="daily-quests", g="play-3-matches"), b'{"is_active":true}'),
    ("claim", "POST", CLAIM.format(c="daily-quests", g="login-today"), b"{}"),
    ("batch-select", "POST", BATCH.format(c="daily-quests"), b'{"goal_ids":["play-3-matches"]}'),
    ("random-select", "POST", RANDOM.format(c="daily-quests"), b'{"count":1}'),
    ("rotation", "GET", ROTATION.format(c="rotation-daily"), None),
    ("healthz", "GET", "/healthz", None),
]


class AuthTests(SharedServer, BadInputChecks, unittest.TestCase):
    """PLUGIN_GRPC_SERVER_AUTH_ENABLED=true with keys from AUTH_JWKS_FILE."""

    @classmethod
    def prepare(cls):
        iss = issuer()
        path = os.path.join(harness.tmp_dir(), "jwks-writes.json")
        write_jwks(path, iss)
        env = {"PLUGIN_GRPC_SERVER_AUTH_ENABLED": "true", "AUTH_JWKS_FILE": path}
        return env, {"headers": {"Authorization": "Bearer " + iss.token("readiness-probe")}}

    def each_route(self, authorization, check, sub):
        """Calls every gateway route with the header (None = absent) and
        x-mock-user-id set to a seeded user; no row may change."""
        mock = user_id("auth-mock")
        seed_state(mock)
        seed_state(sub)
        before_mock, before_sub = fetch_rows(mock), fetch_rows(sub)
        headers = {} if authorization is None else {"Authorization": authorization}
        for name, method, path, body in GATEWAY_ROUTES:
            with self.subTest(route=name):
                check(call(self.server(), method, path, body, mock, headers=headers))
        self.unchanged(mock, before_mock)
        self.unchanged(sub, before_sub)

    def test_missing_authorization_401(self):
        self.each_route(None, lambda r: assert_error(self, r, 401, 16,
                                                     "authorization metadata is missing"),
                        user_id("auth-none"))

    def test_garbage_token_403(self):
        for value in ("Bearer garbage", "Bearer a.b.c", "garbage", "Basic dXNlcjpwYXNz"):
            with self.subTest(authorization=value):
                self.each_route(value, lambda r: assert_error(self, r, 403, 7),
                                user_id("auth-garbage"))

    def test_expired_token_403(self):
        sub = user_id("auth-expired")
        self.each_route("Bearer " + issuer().token(sub, exp_in=-3600),
                        lambda r: assert_error(self, r, 403, 7), sub)

    def test_unknown_kid_403(self):
        sub = user_id("auth-kid")
        self.each_route("Bearer " + issuer().token(sub, kid="someone-elses-kid"),
                        lambda r: assert_error(self, r, 403, 7, "public key not found"), sub)

    def test_foreign_key_with_our_kid_403(self):
        issuer()
        sub = user_id("auth-foreign")
        self.each_route("Bearer " + _stranger.token(sub), lambda r: assert_error(self, r, 403, 7),
                        sub)

    def test_extend_namespace_mismatch_403(self):
        sub = user_id("auth-ns")
        self.each_route("Bearer " + issuer().token(sub, claims={"extend_namespace": "elsewhere"}),
                        lambda r: assert_error(
                            self, r, 403, 7,
                            "extend namespace from token has different a namespace with grpc server"),
                        sub)

    def test_empty_sub_500(self):
        self.each_route("Bearer " + issuer().token(""),
                        lambda r: assert_error(self, r, 500, 13,
                                               "failed to decode JWT claims: user ID (sub claim) is empty"),
                        user_id("auth-nosub"))

    def test_valid_token_writes_as_sub_not_mock_header(self):
        srv = self.server()
        sub, mock = user_id("auth-sub"), user_id("auth-ignored")
        seed_rows([dict(user_id=sub, goal_id="login-today", progress=1, status="completed",
                        completed_at=OLD)])
        h = {"Authorization": "Bearer " + issuer().token(sub)}
        r = call(srv, "PUT", ACTIVE.format(c="daily-quests", g="play-3-matches"),
                 b'{"is_active":true}', mock, headers=h)
        assert_gateway_json(self, r, 200)
        r = call(srv, "POST", CLAIM.format(c="daily-quests", g="login-today"), b"{}", mock,
                 headers=h)
        assert_gateway_json(self, r, 200)
        r = call(srv, "POST", BATCH.format(c="daily-challenges"), b'{"goal_ids":["daily-wins"]}',
                 mock, headers=h)
        assert_gateway_json(self, r, 200)
        r = call(srv, "POST", RANDOM.format(c="winter-challenge-2025"), b'{"count":1}', mock,
                 headers=h)
        assert_gateway_json(self, r, 200)
        r = call(srv, "GET", ROTATION.format(c="rotation-daily"), None, mock, headers=h)
        assert_gateway_json(self, r, 200)
        rows = fetch_rows(sub)
        self.assertEqual(sorted(rows), ["complete-tutorial", "daily-wins", "login-today",
                                        "play-3-matches"])
        self.assertEqual(rows["login-today"]["status"], "claimed")
        self.assertEqual(fetch_rows(mock), {})
        self.assertEqual(len(grant_lines(srv, sub)), 1)

    def test_initialize_401_text(self):
        srv = self.server()
        mock = user_id("auth-init")
        for value in (None, "Bearer garbage", "Bearer " + issuer().token(mock, exp_in=-3600),
                      "Bearer " + _stranger.token(mock), issuer().token(mock)):
            with self.subTest(authorization=(value or "")[:20]):
                headers = {} if value is None else {"Authorization": value}
                plain(self, call(srv, "POST", INITIALIZE, b"{}", mock, headers=headers), 401,
                      "Unauthorized")
        self.assertEqual(fetch_rows(mock), {})
        sub = user_id("auth-init-ok")
        r = call(srv, "POST", INITIALIZE, b"{}", mock,
                 headers={"Authorization": "Bearer " + issuer().token(sub)})
        self.assertEqual(r.status, 200, r.body[:200])
        self.assertEqual(json.loads(r.body)["newAssignments"], 10)
        self.assertEqual(len(fetch_rows(sub)), 10)
        self.assertEqual(fetch_rows(mock), {})


# --- Postgres unreachable --------------------------------------------------------------

UNAVAILABLE = {"code": 14, "message": "database unavailable", "details": []}
UNAVAILABLE_TEXT = "Service unavailable: database not reachable"


class DatabaseDownTests(unittest.TestCase):
    """Our choice: while Postgres is unreachable the gateway routes answer a
    fast 503 code 14 and the optimized routes a 503 text; routes that need
    no database keep working; all recover when it is back. A throwaway
    cluster of its own, so the shared test cluster is never disturbed."""

    def test_write_routes_503_while_postgres_is_down(self):
        cluster = AuxCluster("test-aux-writes")
        self.addCleanup(cluster.stop)
        cluster.fresh_database()
        cluster.start()
        srv = Server(cluster.server_env(), name="pg-down-writes")
        self.addCleanup(srv.kill)
        srv.start()
        user = user_id("down")
        self.assertEqual(call(srv, "PUT", ACTIVE.format(c="daily-quests", g="login-today"),
                              b'{"is_active":true}', user).status, 200)
        cluster.stop()
        for name, method, path, body in GATEWAY_ROUTES[:4]:
            with self.subTest(route=name):
                t0 = time.monotonic()
                r = call(srv, method, path, body, user, timeout=30)
                self.assertEqual(r.status, 503, r.body[:200])
                self.assertEqual(r.header("Content-Type"), "application/json")
                self.assertEqual(json.loads(r.body), UNAVAILABLE)
                self.assertLess(time.monotonic() - t0, 5 * harness.SLOW)
        for method, path in (("POST", INITIALIZE), ("GET", "/v1/challenges")):
            with self.subTest(route=path):
                plain(self, call(srv, method, path, b"{}" if method == "POST" else None, user,
                                 timeout=30), 503, UNAVAILABLE_TEXT)
        # no database needed: still answered
        assert_gateway_json(self, call(srv, "GET", ROTATION.format(c="rotation-daily")), 200)
        assert_error(self, call(srv, "PUT", ACTIVE.format(c="daily-quests", g="nope"),
                                b'{"is_active":true}', user), 500, 13)
        assert_error(self, call(srv, "POST", RANDOM.format(c="daily-quests"), b"{}", user),
                     400, 3, "count must be greater than 0")

        cluster.start()
        poll(lambda: call(srv, "PUT", ACTIVE.format(c="daily-quests", g="play-3-matches"),
                          b'{"is_active":true}', user).status == 200,
             30, "set-active 200 after Postgres came back")
        rows = harness.psql("SELECT goal_id, is_active FROM user_goal_progress WHERE user_id = "
                            + harness.sql_literal(user) + " ORDER BY goal_id", port=cluster.port,
                            db=cluster.db)
        self.assertEqual(rows, [["login-today", "t"], ["play-3-matches", "t"]])
        srv.stop()


if __name__ == "__main__":
    unittest.main()
