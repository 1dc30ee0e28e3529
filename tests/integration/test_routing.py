"""Routing and the error bodies of the first version, auth off (spec api.md
§1.1, §1.2, §3.2, §5.8): healthz, 405 on the list path, the two kinds of 404,
501 for a known gateway path with the wrong method."""

import json
import unittest

from harness import SharedServer

NOT_FOUND_JSON = {"code": 5, "message": "Not Found", "details": []}


class RoutingTests(SharedServer, unittest.TestCase):

    def test_healthz_ok_exact(self):
        r = self.server().get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'{"status":"healthy"}')
        self.assertEqual(r.header("Content-Type"), "application/json")

    def test_healthz_needs_no_user_when_auth_off(self):
        r = self.server().get("/healthz", headers={"x-mock-user-id": "someone"})
        self.assertEqual((r.status, r.json()), (200, {"status": "healthy"}))

    def test_list_other_methods_405(self):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            with self.subTest(method=method):
                r = self.server().request(method, "/v1/challenges", body=b"{}",
                                          headers={"Content-Type": "application/json"})
                self.assertEqual(r.status, 405)
                self.assertEqual(r.body, b"Method not allowed\n")
                self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")

    def test_list_405_without_body(self):
        r = self.server().request("DELETE", "/v1/challenges")
        self.assertEqual((r.status, r.body), (405, b"Method not allowed\n"))

    def test_outside_base_path_plain_404(self):
        for path in ("/", "/v1/challenges", "/healthz", "/other/v1/challenges", "/favicon.ico"):
            with self.subTest(path=path):
                r = self.server().get(path, base=False)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.body, b"404 page not found\n")
                self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")

    def test_unknown_path_under_base_json_404(self):
        for path in ("/nope", "/v1", "/v1/challenge", "/v1/challenges/x/y/z", "/v2/challenges",
                     "/healthz/extra"):
            with self.subTest(path=path):
                r = self.server().get(path)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.header("Content-Type"), "application/json")
                self.assertEqual(json.loads(r.body), NOT_FOUND_JSON)
                self.assertEqual(r.body, b'{"code":5,"message":"Not Found","details":[]}')

    def test_healthz_wrong_method_501(self):
        r = self.server().request("POST", "/healthz", body=b"{}")
        self.assertEqual(r.status, 501)
        self.assertEqual(json.loads(r.body), {"code": 12, "message": "Method Not Allowed",
                                              "details": []})

    def test_query_string_does_not_change_routing(self):
        r = self.server().get("/healthz?probe=1")
        self.assertEqual((r.status, r.body), (200, b'{"status":"healthy"}'))


if __name__ == "__main__":
    unittest.main()
