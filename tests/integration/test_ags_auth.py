"""The server against a fake AGS (tests/ags/fake_ags.py) over HTTPS, spec
auth.md §2, §7: the start-up IAM client login and its fatal failures
(credentials, network, TLS), JWKS and revocation list from IAM with the
early refresh on an unknown kid, revoked tokens and users, and the client
token refreshed at 80 % of its lifetime."""

import base64
import json
import unittest

from ags_common import (LOGIN_FATAL, NAMESPACE, AgsServer, FakeAGS, ags_env, bearer,
                        claim_with, completed, issued_tokens, jwt_payload, list_as, wait_for)
from harness import Server, free_port, seed_rows, user_id

UNAUTH = b"Unauthorized\n"


class AgsStartupTests(unittest.TestCase):
    """One fake for the class; a server per test (most of them must die)."""

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAGS(NAMESPACE)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.reset()

    def expect_fatal(self, env, *needles):
        """Starts a server that must exit 1 on its own; returns its log."""
        s = Server(env, name="ags-fatal")
        s.spawn()
        rc = s.wait_exit(20)
        if rc is None:
            s.kill()
        log = s.log_text()
        self.assertEqual(rc, 1, f"exit status (None: still running); log:\n{s.log_tail()}")
        problems = []
        s.check_log(problems)
        self.assertEqual(problems, [])
        fatal = [ln for ln in log.splitlines() if '"level":"fatal"' in ln]
        self.assertTrue(fatal, f"no fatal line; log:\n{s.log_tail()}")
        for n in needles:
            self.assertIn(n, fatal[-1], f"log:\n{s.log_tail()}")
        self.assertNotIn('"msg":"listening"', log)
        return fatal[-1]

    def test_login_then_keys(self):
        f = self.fake
        s = Server(ags_env(f), name="ags-login")
        try:
            s.start(headers=bearer(f.user_token("probe")))
            reqs = f.requests
            routes = [r["route"] for r in reqs]
            self.assertEqual(routes[0], "token", routes)
            self.assertEqual(routes.count("token"), 1, routes)
            self.assertEqual(sorted(routes[1:3]), ["jwks", "revocation"], routes)
            tok = reqs[0]
            self.assertEqual((tok["method"], tok["path"], tok["status"]),
                             ("POST", "/iam/v3/oauth/token", 200))
            basic = base64.b64encode(f"{f.client_id}:{f.client_secret}".encode()).decode()
            self.assertEqual(tok["headers"].get("authorization"), "Basic " + basic)
            self.assertIn("application/x-www-form-urlencoded",
                          tok["headers"].get("content-type", ""))
            self.assertEqual(tok["form"], {"grant_type": "client_credentials"})
            service_token = issued_tokens(f)[-1]
            rev = [r for r in reqs if r["route"] == "revocation"][0]
            self.assertEqual(rev["headers"].get("authorization"), "Bearer " + service_token)
            self.assertEqual((rev["method"], rev["status"]), ("GET", 200))
            jwks = [r for r in reqs if r["route"] == "jwks"][0]
            self.assertEqual((jwks["method"], jwks["status"]), ("GET", 200))
            self.assertIn("IAM client login succeeded", s.log_text())
        finally:
            s.stop()

    def test_wrong_secret_fatal(self):
        env = ags_env(self.fake, AB_CLIENT_SECRET="not-the-secret")
        self.expect_fatal(env, LOGIN_FATAL)
        self.assertEqual([r["status"] for r in self.fake.requests_for("token")], [401])
        self.assertEqual(self.fake.count("jwks"), 0)

    def test_unreachable_fatal(self):
        env = ags_env(self.fake, AB_BASE_URL=f"https://localhost:{free_port()}")
        self.expect_fatal(env, LOGIN_FATAL)

    def test_plain_http_only_for_localhost(self):
        line = self.expect_fatal(ags_env(self.fake, AB_BASE_URL="http://example.com"))
        self.assertIn("http://example.com", line)
        self.assertIn("localhost", line)

    def test_system_bundle_does_not_trust_test_ca(self):
        line = self.expect_fatal(ags_env(self.fake, AB_CA_FILE=None), LOGIN_FATAL)
        self.assertIn("not trusted", line)
        self.assertEqual(self.fake.count("token"), 0, "no request before the handshake passed")

    def test_tls_wrong_host_fatal(self):
        with FakeAGS(NAMESPACE, cert="wrong-host") as f:
            line = self.expect_fatal(ags_env(f), LOGIN_FATAL)
            self.assertIn("host name", line)
            self.assertEqual(f.count("token"), 0)

    def test_tls_untrusted_ca_fatal(self):
        with FakeAGS(NAMESPACE, cert="rogue") as f:
            # f.ca_file is the good test CA; the leaf comes from a rogue CA
            # with the same subject name.
            line = self.expect_fatal(ags_env(f), LOGIN_FATAL)
            self.assertIn("not trusted", line)
            self.assertEqual(f.count("token"), 0)

    def test_auth_on_needs_base_url(self):
        self.expect_fatal(ags_env(self.fake, rewards="mock", AB_BASE_URL=None), "AB_BASE_URL")

    def test_auth_off_mock_needs_no_ags(self):
        env = ags_env(self.fake, auth=False, rewards="mock", AB_BASE_URL=None, AB_CA_FILE=None,
                      AB_CLIENT_ID=None, AB_CLIENT_SECRET=None)
        s = Server(env, name="ags-none")
        try:
            s.start()
            self.assertEqual(s.list(user_id("noags")).status, 200)
        finally:
            s.stop()
        self.assertEqual(self.fake.requests, [])


class AgsKeyRotationTests(AgsServer, unittest.TestCase):
    """Default REFRESH_INTERVAL (600 s): a new kid is learnt only through
    the early refresh an unknown kid triggers (at most once per 10 s)."""

    rewards = "mock"

    def test_rotation_refetches_jwks_once(self):
        srv, f = self.server(), self.fake
        user = user_id("rot")
        old = f.user_token(user)
        self.assertEqual(list_as(srv, old).status, 200)
        jwks0 = f.count("jwks")
        f.rotate_key(keep_old=False)
        new = f.user_token(user)
        statuses = []

        def new_kid_ok():
            r = list_as(srv, new)
            statuses.append(r.status)
            self.assertIn(r.status, (200, 401), r.body[:200])
            return r.status == 200
        self.assertTrue(wait_for(new_kid_ok, 15, 0.2), f"new kid never accepted: {statuses}")
        # Polling every 0.2 s for up to 15 s may cause at most two refreshes
        # (one per 10 s); one is enough when the first came after the start.
        self.assertIn(f.count("jwks") - jwks0, (1, 2), statuses)
        # The old key is gone from the JWKS: its tokens are refused, and a
        # burst of them causes at most one more fetch (rate limit).
        jwks1 = f.count("jwks")
        for _ in range(5):
            r = list_as(srv, old)
            self.assertEqual((r.status, r.body), (401, UNAUTH))
        self.assertEqual(list_as(srv, f.user_token(user)).status, 200)
        self.assertLessEqual(f.count("jwks") - jwks1, 1)

    def test_user_token_from_iam_keys(self):
        srv, f = self.server(), self.fake
        user = user_id("iamkey")
        seed_rows([dict(user_id=user, goal_id="play-3-matches", progress=2,
                        status="in_progress")])
        r = list_as(srv, f.user_token(user))
        self.assertEqual(r.status, 200, r.body[:200])
        goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
        self.assertEqual(goals["play-3-matches"]["progress"], 2)
        # Signed by a key IAM never published, under a kid it did publish.
        from tokens import Issuer
        forged = Issuer(kid=f.issuer.kid).token(user)
        self.assertEqual(list_as(srv, forged).status, 401)
        self.assertEqual(srv.get("/healthz", headers=bearer(f.user_token(user))).status, 200)


class AgsRevocationTests(AgsServer, unittest.TestCase):
    """REFRESH_INTERVAL=1: revocations reach the server within a second or
    two. The fake forgets revocations on reset(), so each test stands alone."""

    rewards = "mock"
    extra_env = {"REFRESH_INTERVAL": "1"}

    def setUp(self):
        self.fake.reset()

    def wait_refused(self, token):
        srv = self.server()
        return wait_for(lambda: list_as(srv, token).status == 401, 6, 0.1)

    def test_revoked_token(self):
        srv, f = self.server(), self.fake
        user = user_id("revtok")
        t1, t2 = f.user_token(user), f.user_token(user)
        self.assertEqual(list_as(srv, t1).status, 200)
        rev0 = f.count("revocation")
        f.revoke_token(t1)
        self.assertTrue(self.wait_refused(t1), "revoked token still accepted")
        self.assertGreater(f.count("revocation"), rev0)
        r = list_as(srv, t1)
        self.assertEqual((r.status, r.body), (401, UNAUTH))
        self.assertEqual(list_as(srv, t2).status, 200, "another token of the same user")
        self.assertEqual(list_as(srv, f.user_token(user_id("revtok-other"))).status, 200)

    def test_revoked_user(self):
        srv, f = self.server(), self.fake
        user, other = user_id("revuser"), user_id("revuser-other")
        old = f.user_token(user, iat_offset=-30)
        same = f.user_token(user, iat_offset=-10)
        later = f.user_token(user)
        at = jwt_payload(same)["iat"]
        self.assertEqual(list_as(srv, old).status, 200)
        # revoked_at equals `same`'s iat (refused: revoked at or after iat),
        # is after `old`'s and before `later`'s.
        f.revoke_user(user, at=at)
        self.assertTrue(self.wait_refused(old), "token of a revoked user still accepted")
        self.assertEqual(list_as(srv, same).status, 401, "revoked_at equal to iat refuses")
        self.assertEqual(list_as(srv, later).status, 200, "a token issued after the revocation")
        self.assertEqual(list_as(srv, f.user_token(other)).status, 200)

    def test_healthz_revoked_403(self):
        srv, f = self.server(), self.fake
        tok = f.user_token(user_id("revhz"))
        victim = user_id("revhz-user")
        utok = f.user_token(victim, iat_offset=-30)
        self.assertEqual(srv.get("/healthz", headers=bearer(tok)).status, 200)
        f.revoke_token(tok)
        f.revoke_user(victim)
        self.assertTrue(self.wait_refused(tok))
        self.assertTrue(self.wait_refused(utok))
        for t, msg in ((tok, "token was revoked"), (utok, "user was revoked")):
            with self.subTest(msg=msg):
                r = srv.get("/healthz", headers=bearer(t))
                self.assertEqual(r.status, 403, r.body[:200])
                self.assertEqual(r.header("Content-Type"), "application/json")
                self.assertEqual(json.loads(r.body), {"code": 7, "message": msg, "details": []})


class AgsTokenRefreshTests(AgsServer, unittest.TestCase):
    """A 2 s client token: refreshed at 80 % of its lifetime, and grants
    carry the newest. Auth off: no JWKS or revocation traffic at all."""

    auth = False
    fake_kwargs = {"token_ttl": 2}

    def test_token_refreshed_and_used(self):
        srv, f = self.server(), self.fake
        self.assertTrue(wait_for(lambda: f.count("token") >= 3, 6, 0.1),
                        f"token requests: {f.count('token')}")
        toks = f.requests_for("token")
        for r in toks:
            self.assertEqual(r["form"], {"grant_type": "client_credentials"})
            self.assertTrue(r["headers"].get("authorization", "").startswith("Basic "))
        gaps = [b["time"] - a["time"] for a, b in zip(toks, toks[1:])]
        for g in gaps:
            self.assertGreater(g, 1.0, f"refreshed too early: {gaps}")
        user = user_id("refresh")
        seed_rows([completed(user, "login-today", 1)])
        r = claim_with(srv, "daily-quests", "login-today", user=user)
        self.assertEqual(r.status, 200, r.body[:300])
        grant = f.requests_for("wallet")[-1]
        self.assertEqual(grant["status"], 200, "the fake refuses expired tokens")
        used = grant["headers"]["authorization"][len("Bearer "):]
        issued = issued_tokens(f)
        times = [t["time"] for t in f.requests_for("token")]
        self.assertEqual(len(issued), len(times))
        self.assertIn(used, issued)
        idx = issued.index(used)
        self.assertGreater(idx, 0, "the start-up token (2 s) would have expired")
        # Any newer token had been issued only just before the grant (in flight).
        for t in times[idx + 1:]:
            self.assertGreater(t, grant["time"] - 0.5,
                               "the grant used a token older than the newest")
        self.assertEqual((f.count("jwks"), f.count("revocation")), (0, 0))


if __name__ == "__main__":
    unittest.main()
