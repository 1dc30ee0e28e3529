"""Claims with REWARD_CLIENT_MODE=real against a fake AGS Platform (spec
rewards.md §2-§4, api.md §5.4): the exact grant requests, the retry
classification and the nested retries within the claim's 10 s deadline,
a hung AGS, and a slow AGS that must not stall other requests of the
shard."""

import threading
import time
import unittest
import urllib.parse
import uuid

import harness
from ags_common import (NAMESPACE, AgsServer, claim_with, completed, grant_failed,
                        issued_tokens, list_as, wait_for)
from gateway import assert_error, assert_gateway_json
from harness import fetch_rows, psql, seed_rows, sql_literal, user_id

WALLET = ("daily-quests", "login-today", "GOLD", 10)
ITEM = ("daily-quests", "play-3-matches", "689cac44689c452290b12922c4d135fd", 1)
GRANT_FAILED_BODY = ('{"code":13,"message":"%s","details":[]}'
                     % grant_failed("login-today")).encode()
DB_ERROR_BODY = b'{"code":13,"message":"Database error occurred","details":[]}'
NON_RETRYABLE = (400, 401, 403, 404, 409, 422)
RETRYABLE = (408, 429, 500, 502, 503, 504)


def path_escape(s):
    """Go's url.PathEscape (what the reference's SDK puts in the path)."""
    return urllib.parse.quote(s, safe="$&+:=@")


class AgsRewardTests(AgsServer, unittest.TestCase):

    def setUp(self):
        self.fake.reset()

    def user(self, tag, goal=WALLET[1]):
        """A new user with a completed row of goal."""
        u = user_id(tag)
        seed_rows([completed(u, goal)])
        return u

    def claim(self, user, spec=WALLET, **kw):
        return claim_with(self.server(), spec[0], spec[1], token=self.fake.user_token(user), **kw)

    def assert_claimed(self, r, user, spec=WALLET):
        doc = assert_gateway_json(self, r, 200)
        self.assertEqual((doc.last("goalId"), doc.last("status")), (spec[1], "claimed"))
        self.assertEqual(fetch_rows(user)[spec[1]]["status"], "claimed")

    def assert_grant_failed(self, r, user, spec=WALLET):
        assert_error(self, r, 500, 13, grant_failed(spec[1]))
        row = fetch_rows(user)[spec[1]]
        self.assertEqual((row["status"], row["claimed_at"]), ("completed", ""),
                         "a failed grant leaves the goal claimable")

    def service_token(self):
        return issued_tokens(self.fake)[-1]

    # --- the requests -----------------------------------------------------------

    def test_wallet_request(self):
        f, user = self.fake, self.user("wallet")
        self.assert_claimed(self.claim(user), user)
        reqs = f.requests_for("wallet")
        self.assertEqual(len(reqs), 1)
        g = reqs[0]
        self.assertEqual((g["method"], g["target"], g["status"]),
                         ("PUT", f"/platform/admin/namespaces/{NAMESPACE}/users/"
                                 f"{path_escape(user)}/wallets/GOLD/credit", 200))
        self.assertEqual(g["headers"].get("authorization"), "Bearer " + self.service_token())
        self.assertEqual(g["headers"].get("content-type"), "application/json")
        self.assertEqual(g["json"], {"amount": 10})
        self.assertIs(type(g["json"]["amount"]), int)
        self.assertEqual(f.wallet_balance(user, "GOLD"), 10)
        self.assertEqual(f.count("entitlement"), 0)

    def test_item_request(self):
        f, user = self.fake, self.user("item", ITEM[1])
        self.assert_claimed(self.claim(user, ITEM), user, ITEM)
        reqs = f.requests_for("entitlement")
        self.assertEqual(len(reqs), 1)
        g = reqs[0]
        self.assertEqual((g["method"], g["target"], g["status"]),
                         ("POST", f"/platform/admin/namespaces/{NAMESPACE}/users/"
                                  f"{path_escape(user)}/entitlements", 200))
        self.assertEqual(g["headers"].get("authorization"), "Bearer " + self.service_token())
        self.assertEqual(g["headers"].get("content-type"), "application/json")
        self.assertEqual(g["json"], [{"itemId": ITEM[2], "itemNamespace": NAMESPACE,
                                      "quantity": 1}])
        self.assertIs(type(g["json"][0]["quantity"]), int)
        self.assertEqual([e["itemId"] for e in f.entitlements(user)], [ITEM[2]])
        self.assertEqual(f.count("wallet"), 0)

    def test_user_id_path_escaped(self):
        f = self.fake
        for tag in ("sp ace/sl?ash#x", "pct%2F+plus:é"):
            with self.subTest(tag=tag):
                user = self.user(tag)
                self.assert_claimed(self.claim(user), user)
                g = f.requests_for("wallet")[-1]
                self.assertEqual(g["target"], f"/platform/admin/namespaces/{NAMESPACE}/users/"
                                              f"{path_escape(user)}/wallets/GOLD/credit")
                self.assertEqual(f.wallet_balance(user, "GOLD"), 10)

    # --- retry classification (§3.2) and the nested retries (§4) ---------------

    def test_non_retryable_one_attempt(self):
        f = self.fake
        for status in NON_RETRYABLE:
            with self.subTest(status=status):
                user = self.user(f"nr{status}")
                n0 = f.count("wallet")
                f.fail_next("wallet", [status])
                self.assert_grant_failed(self.claim(user), user)
                self.assertEqual(f.count("wallet") - n0, 1)
                self.assertEqual(f.wallet_balance(user, "GOLD"), 0)
                # claimable again
                self.assert_claimed(self.claim(user), user)
                self.assertEqual(f.count("wallet") - n0, 2)
                self.assertEqual(f.wallet_balance(user, "GOLD"), 10)

    def test_retryable_then_success(self):
        f = self.fake
        for status in RETRYABLE:
            with self.subTest(status=status):
                user = self.user(f"rt{status}")
                n0 = f.count("wallet")
                f.fail_next("wallet", [status])
                self.assert_claimed(self.claim(user), user)
                self.assertEqual(f.count("wallet") - n0, 2)
                self.assertEqual(f.wallet_balance(user, "GOLD"), 10)

    def test_dropped_connection_retried(self):
        f, user = self.fake, self.user("drop")
        f.drop_next("wallet")
        self.assert_claimed(self.claim(user), user)
        self.assertEqual([r["status"] for r in f.requests_for("wallet")], [None, 200])
        self.assertEqual(f.wallet_balance(user, "GOLD"), 10)

    def test_always_503_ten_attempts(self):
        f, user = self.fake, self.user("a503")
        f.fail_next("wallet", [503] * 30)
        t0 = time.monotonic()
        r = self.claim(user, timeout=20)
        elapsed = time.monotonic() - t0
        self.assert_grant_failed(r, user)
        self.assertEqual(f.count("wallet"), 10)
        self.assertLess(elapsed, 12 * harness.SLOW)
        # the deadline, not the attempt count, ended it
        self.assertGreater(elapsed, 9)

    def test_hung_ags_deadline(self):
        f, user = self.fake, self.user("hang")
        f.hang("wallet")
        try:
            t0 = time.monotonic()
            r = self.claim(user, timeout=20)
            elapsed = time.monotonic() - t0
        finally:
            f.hang("wallet", False)
        self.assert_grant_failed(r, user)
        self.assertLess(elapsed, 12 * harness.SLOW)
        self.assertGreaterEqual(f.count("wallet"), 1)


class AgsSlowPlatformTests(AgsServer, unittest.TestCase):
    """A 3 s Platform answer parks 100 claims; the shards keep serving."""

    CLAIMS = 100
    LISTS = 20
    SHARDS, TX_CONNS = 2, 8
    extra_env = {"CHALLENGED_SHARDS": str(SHARDS), "CHALLENGED_DB_TX_CONNS": str(TX_CONNS)}

    def test_slow_grants_do_not_stall_lists(self):
        srv, f = self.server(), self.fake
        # AGS-like ids (32 hex digits): they spread evenly over the shards.
        users = [uuid.uuid4().hex for _ in range(self.CLAIMS)]
        seed_rows([completed(u, WALLET[1]) for u in users])
        claim_tokens = [f.user_token(u) for u in users]
        list_tokens = [f.user_token(user_id(f"slowlist{i}")) for i in range(self.LISTS)]
        f.set_delay("wallet", 3)
        claims, lists = {}, {}

        def do_claim(i):
            try:
                r = claim_with(srv, WALLET[0], WALLET[1], token=claim_tokens[i], timeout=30)
                claims[i] = (r.status, time.monotonic(), r.body[:200])
            except Exception as e:  # noqa: BLE001 - reported below
                claims[i] = (repr(e), time.monotonic(), b"")

        def do_list(i):
            try:
                r = list_as(srv, list_tokens[i], timeout=30)
                lists[i] = (r.status, time.monotonic())
            except Exception as e:  # noqa: BLE001
                lists[i] = (repr(e), time.monotonic())

        threads = [threading.Thread(target=do_claim, args=(i,)) for i in range(self.CLAIMS)]
        for t in threads:
            t.start()
        try:
            # The grants are under way (parked in the fake's delay).
            self.assertTrue(wait_for(lambda: f.count("wallet") >= 10, 10, 0.02))
            self.assertEqual(claims, {}, "no claim can answer before its grant")
            lthreads = [threading.Thread(target=do_list, args=(i,)) for i in range(self.LISTS)]
            for t in lthreads:
                t.start()
            for t in lthreads:
                t.join(30 * harness.SLOW)
        finally:
            for t in threads:
                t.join(40 * harness.SLOW)
        self.assertEqual(sorted(s for s, _ in lists.values()), [200] * self.LISTS, lists)
        self.assertEqual(len(claims), self.CLAIMS)
        first_claim = min(t for _, t, _ in claims.values())
        last_list = max(t for _, t in lists.values())
        self.assertLess(last_list, first_claim, "a list waited for a slow grant")
        # Claims hold a transaction connection while they grant (TX_CONNS per
        # shard, the default), so at 3 s per grant
        # about three rounds fit in the 10 s deadline; the rest fail
        # cleanly and stay claimable: the grant error when the deadline
        # came during the grant, the database error when it came while
        # waiting for a connection.
        answers = {}
        for s, _, b in claims.values():
            key = s if s == 200 else (s, b)
            answers[key] = answers.get(key, 0) + 1
        failed = answers.pop((500, GRANT_FAILED_BODY), 0) + answers.pop((500, DB_ERROR_BODY), 0)
        self.assertEqual(list(answers), [200], f"unexpected answers: {answers}")
        self.assertGreaterEqual(answers[200], 2 * self.TX_CONNS * self.SHARDS,
                                f"{failed} claims failed")
        rows = dict(psql("SELECT user_id, status FROM user_goal_progress WHERE goal_id = "
                         f"'{WALLET[1]}' AND user_id IN ("
                         + ", ".join(sql_literal(u) for u in users) + ")"))
        for i, (s, _, _) in claims.items():
            self.assertEqual(rows[users[i]], "claimed" if s == 200 else "completed")
        self.assertGreaterEqual(f.count("wallet"), answers[200])


if __name__ == "__main__":
    unittest.main()
