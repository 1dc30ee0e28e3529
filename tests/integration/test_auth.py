"""Auth on (spec auth.md, api.md §3.2, §3.3, §5.8): RS256 tokens checked
against AUTH_JWKS_FILE. The list answers 401 "Unauthorized" for every
failure; healthz is not exempt and answers the gateway's JSON errors."""

import json
import os
import unittest

import harness
from harness import SharedServer, seed_rows, user_id
from tokens import Issuer, b64url, write_jwks

UNAUTH_TEXT = b"Unauthorized\n"

_issuer = None
_stranger = None


def issuer():
    """The key the server trusts (made once per run) and one it does not
    know that claims the same kid."""
    global _issuer, _stranger
    if _issuer is None:
        _issuer = Issuer("it-kid-1")
        _stranger = Issuer("it-kid-1")
    return _issuer


class AuthTests(SharedServer, unittest.TestCase):

    @classmethod
    def prepare(cls):
        iss = issuer()
        path = os.path.join(harness.tmp_dir(), "jwks.json")
        write_jwks(path, iss)
        env = {"PLUGIN_GRPC_SERVER_AUTH_ENABLED": "true", "AUTH_JWKS_FILE": path}
        return env, {"headers": {"Authorization": "Bearer " + iss.token("readiness-probe")}}

    def list_with(self, authorization, extra=None):
        headers = dict(extra or {})
        if authorization is not None:
            headers["Authorization"] = authorization
        return self.server().get("/v1/challenges", headers=headers)

    def assert_unauthorized(self, r):
        self.assertEqual(r.status, 401, r.body[:200])
        self.assertEqual(r.body, UNAUTH_TEXT)
        self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")

    # --- healthz ------------------------------------------------------------

    def test_healthz_without_token_401_json(self):
        r = self.server().get("/healthz")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(json.loads(r.body), {"code": 16, "message": "authorization metadata is missing",
                                              "details": []})

    def test_healthz_with_token_200(self):
        r = self.server().get("/healthz", headers={"Authorization": "Bearer " + issuer().token("h")})
        self.assertEqual((r.status, r.body), (200, b'{"status":"healthy"}'))

    def test_healthz_bad_token_403(self):
        r = self.server().get("/healthz", headers={"Authorization": "Bearer " + _stranger.token("h")})
        self.assertEqual(r.status, 403)
        body = json.loads(r.body)
        self.assertEqual(body["code"], 7)
        self.assertEqual(body["details"], [])

    def test_healthz_mock_header_is_not_a_credential(self):
        r = self.server().get("/healthz", headers={"x-mock-user-id": "someone"})
        self.assertEqual(r.status, 401)

    # --- list -----------------------------------------------------------------

    def test_list_missing_authorization(self):
        self.assert_unauthorized(self.list_with(None))

    def test_list_garbage_tokens(self):
        for value in ("Bearer garbage", "Bearer a.b.c", "Bearer ", "Basic dXNlcjpwYXNz", "",
                      "Bearer " + "x" * 3000):
            with self.subTest(authorization=value[:40]):
                self.assert_unauthorized(self.list_with(value))

    def test_list_valid_token_uses_sub(self):
        user = user_id("auth")
        seed_rows([dict(user_id=user, goal_id="play-3-matches", progress=2, status="in_progress")])
        r = self.list_with("Bearer " + issuer().token(user))
        self.assertEqual(r.status, 200, r.body[:200])
        self.assertEqual(r.header("Content-Type"), "application/json")
        goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
        self.assertEqual((goals["play-3-matches"]["progress"], goals["play-3-matches"]["status"]),
                         (2, "in_progress"))

    def test_list_mock_header_ignored(self):
        user, other = user_id("auth-a"), user_id("auth-b")
        seed_rows([dict(user_id=other, goal_id="play-3-matches", progress=2, status="in_progress")])
        r = self.list_with("Bearer " + issuer().token(user), {"x-mock-user-id": other})
        self.assertEqual(r.status, 200)
        goals = {g["goalId"]: g for c in r.json()["challenges"] for g in c["goals"]}
        self.assertEqual(goals["play-3-matches"]["progress"], 0)

    def test_list_mock_header_alone_is_not_enough(self):
        self.assert_unauthorized(self.list_with(None, {"x-mock-user-id": "someone"}))

    def test_list_expired_token(self):
        # go-jose, which the reference's validator uses, allows 60 s of skew
        self.assert_unauthorized(self.list_with("Bearer " + issuer().token("u", exp_in=-120)))
        self.assert_unauthorized(self.list_with("Bearer " + issuer().token("u", exp_in=-3600)))

    def test_list_unknown_kid(self):
        self.assert_unauthorized(self.list_with("Bearer " + issuer().token("u", kid="other-kid")))

    def test_list_missing_kid(self):
        self.assert_unauthorized(self.list_with("Bearer " + issuer().token("u", header={"kid": None})))

    def test_list_signature_by_other_key(self):
        self.assert_unauthorized(self.list_with("Bearer " + _stranger.token("u")))

    def test_list_tampered_payload(self):
        h, p, s = issuer().token("victim").split(".")
        forged = b64url(json.dumps({"sub": "attacker", "exp": 4102444800}).encode())
        self.assert_unauthorized(self.list_with(f"Bearer {h}.{forged}.{s}"))

    def test_list_alg_none_and_hs256(self):
        for alg in ("none", "HS256"):
            with self.subTest(alg=alg):
                h = b64url(json.dumps({"alg": alg, "typ": "JWT", "kid": "it-kid-1"}).encode())
                p = b64url(json.dumps({"sub": "u", "exp": 4102444800}).encode())
                self.assert_unauthorized(self.list_with(f"Bearer {h}.{p}.mock-signature"))
                self.assert_unauthorized(self.list_with(f"Bearer {h}.{p}."))

    def test_list_needs_bearer_prefix(self):
        tok = issuer().token("u")
        for value in (tok, "bearer " + tok, "Bearer  " + tok, "BEARER " + tok):
            with self.subTest(prefix=value[:8]):
                self.assert_unauthorized(self.list_with(value))

    def test_list_empty_sub(self):
        self.assert_unauthorized(self.list_with("Bearer " + issuer().token("")))
        self.assert_unauthorized(self.list_with("Bearer " + issuer().token("u", drop=("sub",))))

    def test_list_extend_namespace(self):
        bad = issuer().token("u", claims={"extend_namespace": "elsewhere"})
        self.assert_unauthorized(self.list_with("Bearer " + bad))
        good = issuer().token(user_id("ns"), claims={"extend_namespace": "accelbyte"})
        self.assertEqual(self.list_with("Bearer " + good).status, 200)

    def test_list_token_namespace_claim_not_checked(self):
        tok = issuer().token(user_id("ns2"), claims={"namespace": "some-other-namespace"})
        self.assertEqual(self.list_with("Bearer " + tok).status, 200)

    def test_list_same_token_twice(self):
        # a verified-token cache must give the same answer as the first check
        tok = "Bearer " + issuer().token(user_id("cache"))
        self.assertEqual(self.list_with(tok).status, 200)
        self.assertEqual(self.list_with(tok).status, 200)
        expired = "Bearer " + issuer().token("u", exp_in=-120)
        self.assert_unauthorized(self.list_with(expired))
        self.assert_unauthorized(self.list_with(expired))


if __name__ == "__main__":
    unittest.main()
