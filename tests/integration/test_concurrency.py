"""Many clients at once (spec api.md §5.2-§5.6, data.md §4): 100 users'
set-active, batch-select and random-select calls in parallel leave exactly
the expected rows, 100 first logins in parallel insert exactly the default
goals, and 2000 connections opened and dropped (some mid-request) leave the
server serving."""

import concurrent.futures
import random
import socket
import struct
import unittest

import harness
from gateway import (ACTIVE, BATCH, INITIALIZE, RANDOM, batch, initialize, poll, random_select,
                     set_active)
from harness import BASE_PATH, SharedServer, fetch_rows, psql, sql_literal, user_id

THREADS = 32
DAILY3 = ["daily-login", "daily-10-kills", "daily-wins"]
WEEKLY = ["weekly-challenges-goal-01", "weekly-challenges-goal-02", "weekly-wins-no-reset"]


def counts(prefix):
    """(rows, active rows) of the users whose id starts with prefix."""
    rows = psql("SELECT count(*), count(*) FILTER (WHERE is_active) FROM user_goal_progress "
                "WHERE user_id LIKE " + sql_literal(prefix + "%"))
    return int(rows[0][0]), int(rows[0][1])


def rows_by_user(prefix):
    """{user: {goal: row dict}} for the users whose id starts with prefix,
    in one query."""
    out = {}
    for r in psql("SELECT " + ", ".join(harness.ROW_COLUMNS) + " FROM user_goal_progress "
                  "WHERE user_id LIKE " + sql_literal(prefix + "%")):
        row = dict(zip(harness.ROW_COLUMNS, r))
        out.setdefault(row["user_id"], {})[row["goal_id"]] = row
    return out


def run_all(tasks):
    """Runs the callables in parallel, in random order; returns their results."""
    tasks = list(tasks)
    random.shuffle(tasks)
    with concurrent.futures.ThreadPoolExecutor(THREADS) as ex:
        return list(ex.map(lambda t: (t[0], t[1]()), tasks))


class ConcurrencyTests(SharedServer, unittest.TestCase):

    def assert_all_200(self, results):
        bad = [(name, r) for name, r in results if r.status != 200]
        self.assertEqual(bad[:5], [], f"{len(bad)} of {len(results)} calls failed")

    def test_hundred_users_in_parallel(self):
        srv = self.server()
        tag = f"hundred-{harness.RUN_ID}"
        users = [user_id(tag) for _ in range(100)]
        prefix = f"it-{harness.RUN_ID}-{tag}-"

        def first_round(u):
            return [
                ("on", lambda: set_active(srv, u, "daily-quests", "login-today", {"is_active": True})),
                ("off", lambda: set_active(srv, u, "daily-quests", "play-3-matches",
                                           {"is_active": False})),
                ("batch", lambda: batch(srv, u, "daily-challenges", {"goal_ids": DAILY3})),
                ("replace", lambda: batch(srv, u, "winter-challenge-2025",
                                          {"goal_ids": ["complete-tutorial"],
                                           "replace_existing": True})),
                ("random", lambda: random_select(srv, u, "weekly-challenges", {"count": 2})),
            ]

        self.assert_all_200(run_all(t for u in users for t in first_round(u)))
        self.assertEqual(counts(prefix), (100 * 8, 100 * 7))
        everyone = rows_by_user(prefix)
        for u in users:
            rows = everyone[u]
            with self.subTest(user=u):
                self.assertEqual(rows["login-today"]["is_active"], "t")
                self.assertEqual((rows["play-3-matches"]["is_active"],
                                  rows["play-3-matches"]["assigned_at"]), ("f", ""))
                for g in DAILY3 + ["complete-tutorial"]:
                    self.assertEqual(rows[g]["is_active"], "t", g)
                    self.assertNotEqual(rows[g]["assigned_at"], "", g)
                weekly = [g for g in WEEKLY if g in rows]
                self.assertEqual(len(weekly), 2, weekly)
                self.assertTrue(all(rows[g]["is_active"] == "t" for g in weekly))

        def second_round(u):
            return [
                ("replace", lambda: batch(srv, u, "daily-challenges",
                                          {"goal_ids": ["daily-3-matches"], "replace_existing": True})),
                ("off", lambda: set_active(srv, u, "daily-quests", "login-today",
                                           {"is_active": False})),
                ("random", lambda: random_select(srv, u, "weekly-challenges",
                                                 {"count": 5, "exclude_active": True})),
            ]

        results = run_all(t for u in users for t in second_round(u))
        self.assert_all_200(results)
        for name, r in results:
            if name == "random":    # the one weekly goal left
                self.assertEqual(len(r.json()["selectedGoals"]), 1)
        # +1 daily-3-matches, +1 weekly; -3 daily, +1 daily, -1 login-today, +1 weekly
        self.assertEqual(counts(prefix), (100 * 10, 100 * 5))
        everyone = rows_by_user(prefix)
        for u in users:
            rows = everyone[u]
            with self.subTest(user=u):
                for g in DAILY3:
                    self.assertEqual((rows[g]["is_active"], rows[g]["assigned_at"]), ("f", ""), g)
                self.assertEqual(rows["daily-3-matches"]["is_active"], "t")
                self.assertEqual(rows["login-today"]["is_active"], "f")
                self.assertNotEqual(rows["login-today"]["assigned_at"], "")
                self.assertTrue(all(rows[g]["is_active"] == "t" for g in WEEKLY))

    def test_hundred_first_logins_in_parallel(self):
        srv = self.server()
        tag = f"logins-{harness.RUN_ID}"
        users = [user_id(tag) for _ in range(100)]
        # each user twice, so first calls race with each other too
        results = run_all((u, (lambda u=u: initialize(srv, u))) for u in users + users)
        self.assert_all_200(results)
        news = {}
        for u, r in results:
            news.setdefault(u, []).append(r.json()["newAssignments"])
        for u in users:
            self.assertEqual(sorted(news[u]), [0, 10], u)
        self.assertEqual(counts(f"it-{harness.RUN_ID}-{tag}-"), (1000, 1000))


class ConnectionChurnTests(SharedServer, unittest.TestCase):

    def test_two_thousand_connections_opened_and_dropped(self):
        srv = self.server()
        user = user_id("churn")
        body = b'{"is_active":true}'
        requests = [
            f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHo".encode(),                       # half a head
            (f"PUT {BASE_PATH}{ACTIVE.format(c='daily-quests', g='login-today')} HTTP/1.1\r\n"
             f"Host: t\r\nx-mock-user-id: {user}\r\nContent-Length: {len(body)}\r\n\r\n"
             ).encode() + body[:5],                                                # half a body
            (f"POST {BASE_PATH}{INITIALIZE} HTTP/1.1\r\nHost: t\r\n"
             f"x-mock-user-id: {user}\r\nContent-Length: 0\r\n\r\n").encode(),       # whole, unread
            (f"POST {BASE_PATH}{BATCH.format(c='daily-challenges')} HTTP/1.1\r\nHost: t\r\n"
             f"x-mock-user-id: {user}\r\nContent-Length: 27\r\n\r\n"
             '{"goal_ids":["daily-wins"]}').encode(),                              # a write, unread
            (f"POST {BASE_PATH}{RANDOM.format(c='daily-challenges')} HTTP/1.1\r\nHost: t\r\n"
             f"x-mock-user-id: {user}\r\nContent-Length: 11\r\n\r\n"
             '{"count":1}').encode(),
            b"",                                                                   # nothing at all
        ]
        socks = []
        try:
            for i in range(2000):
                s = socket.socket()
                s.settimeout(10 * harness.SLOW)
                s.connect(("127.0.0.1", srv.http_port))
                socks.append(s)
                data = requests[i % len(requests)]
                if data:
                    s.sendall(data)
            for i, s in enumerate(socks):
                if i % 2:   # reset rather than close
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        finally:
            for s in socks:
                s.close()
        self.assertTrue(srv.alive(), srv.log_tail())
        poll(lambda: srv.get("/healthz").status == 200, 10, "healthz 200 after the churn")
        # and the write routes still work
        u = user_id("churn-after")
        r = set_active(srv, u, "daily-quests", "play-3-matches", {"is_active": True})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(fetch_rows(u)["play-3-matches"]["is_active"], "t")
        r = initialize(srv, u)
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(srv.alive(), srv.log_tail())


if __name__ == "__main__":
    unittest.main()
