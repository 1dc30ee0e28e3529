"""What an OnMessage answer promises (include/challenged/ingest.h): with
durable acks (the default) OK means the effect is committed, so a row read
right after the call shows it, 500 calls in flight all commit, a call cannot
be answered OK while Postgres is down (it ends DEADLINE_EXCEEDED), and a
SIGTERM with calls waiting flushes, answers them and exits 0. With buffered
acks (--ack buffered) OK comes before the commit, a REST read of the user
waits for the user's events (read-your-events) instead of the interval, and
the row is written within about FLUSH_INTERVAL_MS. A full buffer refuses
new keys with UNAVAILABLE instead of dropping them.

A commit is held back deterministically by locking the user's row in
another session (the flush's UPDATE waits for it); outages use a throwaway
cluster of their own (.local/test-aux-events), never the shared one."""

import os
import signal
import subprocess
import time
import unittest
import uuid

import grpc

import grpcutil as g
import harness
from harness import AuxCluster, Server, SharedServer, fetch_rows, psql, seed_rows, sql_literal, user_id

OK = grpc.StatusCode.OK
DEADLINE = grpc.StatusCode.DEADLINE_EXCEEDED
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
FULL_MSG = "event buffer full, retry later"
# Each login moves six goals of the demo config (five track login_count,
# one daily_login): six buffer keys per user.
KEYS_PER_LOGIN = 6


def poll(fn, timeout, what):
    deadline = time.monotonic() + timeout * harness.SLOW
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"{what}: not seen within {timeout * harness.SLOW}s (last: {last!r})")


def progress(user, goal="challenge-001-goal-01", **kw):
    rows = harness.psql("SELECT progress FROM user_goal_progress WHERE user_id = "
                        f"{sql_literal(user)} AND goal_id = {sql_literal(goal)}", **kw)
    return int(rows[0][0]) if rows else None


class RowLock:
    """Another session holding FOR UPDATE on a user's rows, so that a flush
    touching them waits until release()."""

    def __init__(self, user, **pg):
        self.app = "it-lock-" + uuid.uuid4().hex[:8]
        self.pg = pg
        env = dict(os.environ, PGAPPNAME=self.app, PGHOST="127.0.0.1")
        if pg.get("port"):
            env["PGPORT"] = str(pg["port"])
        if pg.get("db"):
            env["PGDATABASE"] = pg["db"]
        env.setdefault("PGUSER", "postgres")
        sql = (f"BEGIN; SELECT 1 FROM user_goal_progress WHERE user_id = {sql_literal(user)} "
               "FOR UPDATE; SELECT pg_sleep(600); COMMIT;")
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-c", sql], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        poll(lambda: psql("SELECT 1 FROM pg_stat_activity WHERE application_name = "
                          f"'{self.app}' AND wait_event = 'PgSleep'", **pg),
             30, "the row lock")

    def release(self):
        if self.proc.poll() is None:
            psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name "
                 f"= '{self.app}'", **self.pg)
            self.proc.wait(30)


def timed_future(ch, path, msg, timeout):
    """A call's future; .finished_at is set (monotonic) when it completes."""
    fut = g.unary_future(ch, path, msg, timeout=timeout / harness.SLOW)
    fut.finished_at = None

    def done(f):
        f.finished_at = time.monotonic()

    fut.add_done_callback(done)
    return fut


# --- durable acks -------------------------------------------------------------------

class DurableAckTests(SharedServer, unittest.TestCase):

    def setUp(self):
        self.ch = g.channel(self.server())
        self.addCleanup(self.ch.close)

    def test_ok_means_committed(self):
        # No polling anywhere: the answer is the commit.
        u = user_id("durable")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01"),
                   dict(user_id=u, goal_id="daily-10-kills")])
        for i in range(1, 21):
            r = g.login(self.ch, u)
            self.assertEqual(r.code, OK, r)
            self.assertEqual(progress(u), i)
            r = g.stat(self.ch, u, "enemy_kills", 100 + i, 1)
            self.assertEqual(r.code, OK, r)
            self.assertEqual(progress(u, "daily-10-kills"), 100 + i)

    def test_ack_waits_for_the_commit(self):
        # While another session holds the user's row the flush cannot
        # commit, so the call is not answered; it is, with OK, right after.
        u = user_id("held")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01")])
        lock = RowLock(u)
        self.addCleanup(lock.release)
        fut = g.unary_future(self.ch, g.LOGIN, g.login_event(u), timeout=60)
        time.sleep(0.5)     # bounded wait for a thing that must NOT happen
        self.assertFalse(fut.done(), "answered while the flush could not commit")
        self.assertEqual(progress(u), 0)
        lock.release()
        r = g.outcome(fut)
        self.assertEqual(r.code, OK, r)
        self.assertEqual(progress(u), 1)

    def test_500_calls_in_flight(self):
        srv = self.server()
        users = [user_id("c500") for _ in range(250)]
        seed_rows([dict(user_id=u, goal_id=goal) for u in users
                   for goal in ("challenge-001-goal-01", "daily-10-kills")])
        chans = [g.channel(srv, **{"grpc.channel_id": i}) for i in range(5)]
        try:
            futs = []
            for i, u in enumerate(users):
                futs.append(g.unary_future(chans[i % 5], g.LOGIN, g.login_event(u), timeout=60))
                futs.append(g.unary_future(chans[(i + 1) % 5], g.STAT,
                                           g.stat_event(u, "enemy_kills", 1000 + i, 1), timeout=60))
            results = [g.outcome(f) for f in futs]
        finally:
            for c in chans:
                c.close()
        bad = [r for r in results if r.code != OK]
        self.assertEqual(bad, [], f"{len(bad)} of 500 calls not OK")
        rows = psql("SELECT user_id, goal_id, progress, status FROM user_goal_progress WHERE "
                    f"user_id LIKE {sql_literal(users[0].rsplit('-', 1)[0] + '-%')}")
        got = {(r[0], r[1]): (int(r[2]), r[3]) for r in rows}
        for i, u in enumerate(users):
            self.assertEqual(got[(u, "challenge-001-goal-01")], (1, "completed"), u)
            self.assertEqual(got[(u, "daily-10-kills")], (1000 + i, "completed"), u)


class DurableShutdownTests(unittest.TestCase):

    def test_sigterm_with_calls_waiting_flushes_answers_exits_0(self):
        srv = Server(name="evt-sigterm")
        self.addCleanup(srv.kill)
        srv.start()
        u = user_id("term")
        others = [user_id("term-other") for _ in range(20)]
        seed_rows([dict(user_id=x, goal_id="challenge-001-goal-01") for x in [u] + others])
        ch = g.channel(srv)
        self.addCleanup(ch.close)
        lock = RowLock(u)
        self.addCleanup(lock.release)
        held = [g.unary_future(ch, g.LOGIN, g.login_event(u), timeout=60) for _ in range(10)]
        rest = [g.unary_future(ch, g.LOGIN, g.login_event(x), timeout=60) for x in others]
        time.sleep(0.5)
        self.assertFalse(any(f.done() for f in held), "answered before the commit")
        srv.signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertTrue(srv.alive(), "exited with calls waiting for their flush")
        self.assertFalse(any(f.done() for f in held))
        lock.release()
        for f in held + rest:
            r = g.outcome(f)
            self.assertEqual(r.code, OK, r)
        self.assertEqual(srv.wait_exit(15), 0, srv.log_tail())
        srv.stop()
        self.assertEqual(progress(u), 10)
        for x in others:
            self.assertEqual(progress(x), 1, x)


# --- Postgres away --------------------------------------------------------------------

class OutageTests(unittest.TestCase):

    def setUp(self):
        self.cluster = AuxCluster("test-aux-events")
        self.addCleanup(self.cluster.stop)
        self.cluster.fresh_database()
        self.cluster.start()
        self.pg = {"port": self.cluster.port, "db": self.cluster.db}

    def start_server(self, name, **env):
        srv = Server(dict(self.cluster.server_env(), **env), name=name)
        self.addCleanup(srv.kill)
        srv.start()
        ch = g.channel(srv)
        self.addCleanup(ch.close)
        return srv, ch

    def initialize(self, srv, users):
        for u in users:
            r = srv.request("POST", "/v1/challenges/initialize", headers={"x-mock-user-id": u})
            self.assertEqual(r.status, 200, r)

    def test_durable_calls_never_ok_while_postgres_is_down(self):
        srv, ch = self.start_server("evt-outage")
        a, b = user_id("out-a"), user_id("out-b")
        self.initialize(srv, [a, b])
        for i in range(1, 4):
            self.assertEqual(g.login(ch, a).code, OK)
            self.assertEqual(progress(a, **self.pg), i)
        self.cluster.stop()
        futs = [timed_future(ch, g.LOGIN, g.login_event(x), 2) for x in (a, b) for _ in range(5)]
        results = [g.outcome(f) for f in futs]
        self.assertEqual({r.code for r in results}, {DEADLINE}, results)

        self.cluster.start()
        # New calls succeed once the server has its connection back (each
        # attempt either commits or times out; a time-out may still apply
        # later, which the count below allows for).
        attempts = 0

        def back():
            nonlocal attempts
            attempts += 1
            r = g.login(ch, b, timeout=5)
            self.assertIn(r.code, (OK, DEADLINE), r)
            return r.code == OK

        poll(back, 60, "an OK login after Postgres came back")
        # nothing acknowledged was lost; unacknowledged calls were not
        # dropped either (their entries stayed buffered) but may count
        self.assertGreaterEqual(progress(a, **self.pg), 3)
        self.assertLessEqual(progress(a, **self.pg), 3 + 5)
        got_b = progress(b, **self.pg)
        self.assertGreaterEqual(got_b, 1)
        self.assertLessEqual(got_b, 5 + attempts)
        # and durable acks hold again
        before = progress(a, **self.pg)
        self.assertEqual(g.login(ch, a).code, OK)
        self.assertEqual(progress(a, **self.pg), before + 1)
        srv.stop()

    def test_full_buffer_refuses_new_keys_with_unavailable(self):
        # One shard, a bound of 16 keys: two users' logins (6 keys each)
        # fit while Postgres is down, every further one is refused at once.
        srv, ch = self.start_server("evt-full", CHALLENGED_SHARDS="1",
                                    CHALLENGED_EVENT_BUFFER_MAX="16")
        users = [user_id("full") for _ in range(8)]
        self.initialize(srv, users)
        self.cluster.stop()
        t0 = time.monotonic()
        futs = [timed_future(ch, g.LOGIN, g.login_event(u), 3) for u in users]
        results = [g.outcome(f) for f in futs]
        codes = [r.code for r in results]
        fits = 16 // KEYS_PER_LOGIN
        self.assertEqual(codes.count(DEADLINE), fits, results)
        self.assertEqual(codes.count(UNAVAILABLE), len(users) - fits, results)
        for f, r in zip(futs, results):
            if r.code == UNAVAILABLE:
                self.assertEqual(r.details, FULL_MSG)
                # before the 3 s deadline: not a wait for room
                self.assertLess(f.finished_at - t0, 2.5, "refusals are immediate")
        # The bound counts keys: a wins event (five goals, 12 + 5 > 16) is
        # refused, a tutorial_completed one (one goal) still fits.
        r = g.stat(ch, users[0], "wins", 1, 1, timeout=3 / harness.SLOW)
        self.assertEqual((r.code, r.details), (UNAVAILABLE, FULL_MSG))
        r = g.stat(ch, users[0], "tutorial_completed", 1, 1, timeout=1 / harness.SLOW)
        self.assertEqual(r.code, DEADLINE, r)
        accepted = [u for u, r in zip(users, results) if r.code == DEADLINE]
        refused = [u for u, r in zip(users, results) if r.code == UNAVAILABLE]

        self.cluster.start()
        # The refused logins are retried, as a client does on UNAVAILABLE,
        # with a deadline long enough that each attempt ends OK or refused.
        for u in refused:
            def retried(u=u):
                r = g.login(ch, u, timeout=30)
                self.assertIn(r.code, (OK, UNAVAILABLE), r)
                return r.code == OK
            poll(retried, 60, f"login of {u} accepted after recovery")
        # every login is in the table exactly once: the buffered ones
        # (never acknowledged, never dropped) and the retried ones
        for u in accepted + refused:
            self.assertEqual(progress(u, **self.pg), 1, u)
        self.assertEqual(progress(users[0], "complete-tutorial", **self.pg), 1)
        srv.stop()


# --- buffered acks -------------------------------------------------------------------

INTERVAL_MS = 2000


class BufferedAckTests(SharedServer, unittest.TestCase):
    server_env = {"FLUSH_INTERVAL_MS": str(INTERVAL_MS)}
    server_args = ("--ack", "buffered")

    def setUp(self):
        self.ch = g.channel(self.server())
        self.addCleanup(self.ch.close)

    def listed(self, user, goal="challenge-001-goal-01"):
        r = self.server().list(user)
        self.assertEqual(r.status, 200, r)
        for c in r.json()["challenges"]:
            for x in c["goals"]:
                if x["goalId"] == goal:
                    return x["progress"], x["status"]

    def test_ok_before_the_commit(self):
        # The row is locked, so no flush can commit; the call is answered
        # anyway (the reference's behaviour), and the row follows later.
        u = user_id("buf-held")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01")])
        lock = RowLock(u)
        self.addCleanup(lock.release)
        r = g.login(self.ch, u, timeout=5)
        self.assertEqual(r.code, OK, r)
        self.assertEqual(progress(u), 0)
        lock.release()
        poll(lambda: progress(u) == 1, INTERVAL_MS / 1000 + 5, "the row after the lock went")

    def test_read_your_events_before_the_interval(self):
        u = user_id("buf-ryw")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01"),
                   dict(user_id=u, goal_id="daily-wins")])
        for _ in range(3):
            self.assertEqual(g.login(self.ch, u).code, OK)
        self.assertEqual(g.stat(self.ch, u, "wins", 4, 1).code, OK)
        t0 = time.monotonic()
        got = (self.listed(u), self.listed(u, "daily-wins"))
        elapsed = time.monotonic() - t0
        self.assertEqual(got, ((3, "completed"), (4, "completed")))
        # the read asked for the flush instead of waiting for the tick
        self.assertLess(elapsed, INTERVAL_MS / 1000 * 0.75, "the read waited for the interval")
        self.assertEqual(progress(u), 3, "the read came after the commit")

    def test_row_written_within_the_interval(self):
        u = user_id("buf-tick")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01")])
        t0 = time.monotonic()
        self.assertEqual(g.login(self.ch, u).code, OK)
        poll(lambda: progress(u) == 1, INTERVAL_MS / 1000 + 1.5, "the flush of the interval")
        self.assertLess(time.monotonic() - t0, INTERVAL_MS / 1000 + 1.5 * harness.SLOW)

    def test_events_between_flushes_merge(self):
        u = user_id("buf-merge")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01"),
                   dict(user_id=u, goal_id="daily-10-kills")])
        for _ in range(5):
            self.assertEqual(g.login(self.ch, u).code, OK)
        for v in (50, 9, 7):
            self.assertEqual(g.stat(self.ch, u, "enemy_kills", v, 1).code, OK)
        poll(lambda: progress(u) == 5, INTERVAL_MS / 1000 + 5, "five logins added up")
        self.assertEqual(progress(u, "daily-10-kills"), 7, "the latest stat value wins")
        # 50 never reached the table, or it would have completed the goal
        self.assertEqual(fetch_rows(u)["daily-10-kills"]["status"], "in_progress")

    def test_grpc_read_of_the_user_sees_its_events(self):
        # the barrier holds for GetUserChallenges over gRPC too
        u = user_id("buf-grpc")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01")])
        self.assertEqual(g.login(self.ch, u).code, OK)
        r = g.service_call(self.ch, "GetUserChallenges", metadata=g.mock_user(u))
        self.assertEqual(r.code, OK, r)
        goal = [x for c in r.answer.challenges for x in c.goals
                if x.goal_id == "challenge-001-goal-01"][0]
        self.assertEqual((goal.progress, goal.status), (1, "completed"))

    def test_validation_unchanged(self):
        r = g.login(self.ch, "")
        self.assertEqual((r.code, r.details),
                         (grpc.StatusCode.INVALID_ARGUMENT, "userId cannot be empty"))


class CachedListTests(unittest.TestCase):
    """CHALLENGED_USER_CACHE_ENTRIES keeps users' rows for the list; a
    committed event drops them (ingest's on_committed_user), in both modes."""

    def check(self, env, name):
        srv = Server(dict(env, CHALLENGED_USER_CACHE_ENTRIES="1000"), name=name)
        self.addCleanup(srv.kill)
        srv.start()
        ch = g.channel(srv)
        self.addCleanup(ch.close)
        u = user_id("cache")
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01")])

        def shown():
            r = srv.list(u)
            self.assertEqual(r.status, 200, r)
            return [x["progress"] for c in r.json()["challenges"] for x in c["goals"]
                    if x["goalId"] == "challenge-001-goal-01"][0]

        for i in range(1, 4):
            shown()             # cached now
            self.assertEqual(g.login(ch, u).code, OK)
            self.assertEqual(shown(), i)
        ch.close()
        srv.stop()

    def test_durable(self):
        self.check({}, "evt-cache-durable")

    def test_buffered(self):
        self.check({"CHALLENGED_ACK": "buffered", "FLUSH_INTERVAL_MS": str(INTERVAL_MS)},
                   "evt-cache-buffered")


class BufferedShutdownTests(unittest.TestCase):

    def test_sigterm_flushes_the_buffer(self):
        # a long interval: only the shutdown can have written these
        srv = Server({"FLUSH_INTERVAL_MS": "60000", "CHALLENGED_ACK": "buffered"},
                     name="evt-buf-term")
        self.addCleanup(srv.kill)
        srv.start()
        users = [user_id("buf-term") for _ in range(10)]
        seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01") for u in users])
        ch = g.channel(srv)
        self.addCleanup(ch.close)
        for u in users:
            for _ in range(3):
                self.assertEqual(g.login(ch, u).code, OK)
        self.assertEqual(progress(users[0]), 0, "flushed before the interval")
        ch.close()
        srv.stop()
        for u in users:
            self.assertEqual(progress(u), 3, u)


if __name__ == "__main__":
    unittest.main()
