"""HTTP/1.1 behaviour over raw sockets (ARCHITECTURE.md "src/http1"):
keep-alive, pipelining, byte-at-a-time input, request bodies on GET, limits
(431, 400, 413) with the connection closed, idle and header timeouts, a
graceful SIGTERM with a request in flight, and a burst of 1000 connections.
Timeouts are awaited by reading until EOF under a socket timeout, never by
sleeping."""

import json
import signal
import socket
import struct
import subprocess
import time
import unittest

import harness
from harness import (BASE_PATH, Server, SharedServer, psql, read_response, read_until_eof,
                     user_id)

HEALTHZ = f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: test\r\n\r\n".encode()
HEALTHY = b'{"status":"healthy"}'


def list_request(user, extra=""):
    return (f"GET {BASE_PATH}/v1/challenges HTTP/1.1\r\nHost: test\r\n"
            f"x-mock-user-id: {user}\r\n{extra}\r\n").encode()


def assert_closed(test, sock, timeout=10):
    """The server closes the connection (EOF or reset) within timeout."""
    try:
        return read_until_eof(sock, timeout)
    except socket.timeout:
        pass
    test.fail(f"connection still open after {timeout * harness.SLOW}s")


class Http1Tests(SharedServer, unittest.TestCase):

    def conn(self):
        s = self.server().connect()
        self.addCleanup(s.close)
        return s

    def test_keep_alive_several_requests(self):
        s = self.conn()
        user = user_id("ka")
        rest = b""
        for req in (HEALTHZ, list_request(user), HEALTHZ, list_request(user)):
            s.sendall(req)
            status, headers, body, rest = read_response(s, rest)
            self.assertEqual(status, 200, body[:200])
            self.assertNotEqual(headers.get("connection", "").lower(), "close")
        self.assertEqual(rest, b"")

    def test_pipelined_requests_answered_in_order(self):
        s = self.conn()
        user = user_id("pipe")
        s.sendall(HEALTHZ + f"GET {BASE_PATH}/nope HTTP/1.1\r\nHost: t\r\n\r\n".encode()
                  + list_request(user) + HEALTHZ)
        rest = b""
        status, _, body, rest = read_response(s, rest)
        self.assertEqual((status, body), (200, HEALTHY))
        status, _, body, rest = read_response(s, rest)
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["code"], 5)
        status, _, body, rest = read_response(s, rest)
        self.assertEqual(status, 200)
        self.assertIn("challenges", json.loads(body))
        status, _, body, rest = read_response(s, rest)
        self.assertEqual((status, body), (200, HEALTHY))

    def test_many_pipelined_requests(self):
        s = self.conn()
        n = 100
        s.sendall(HEALTHZ * n)
        rest = b""
        for _ in range(n):
            status, _, body, rest = read_response(s, rest)
            self.assertEqual((status, body), (200, HEALTHY))

    def test_single_byte_writes(self):
        s = self.conn()
        for b in list_request(user_id("bytes")):
            s.send(bytes([b]))
        status, headers, body, _ = read_response(s)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertIn("challenges", json.loads(body))

    def test_get_with_content_length_body_is_consumed(self):
        s = self.conn()
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n"
                  "hello world".encode() + HEALTHZ)
        status, _, body, rest = read_response(s)
        self.assertEqual((status, body), (200, HEALTHY))
        status, _, body, rest = read_response(s, rest)
        self.assertEqual((status, body), (200, HEALTHY))

    def test_chunked_body_accepted(self):
        s = self.conn()
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n".encode() + HEALTHZ)
        status, _, body, rest = read_response(s)
        self.assertEqual((status, body), (200, HEALTHY))
        status, _, body, rest = read_response(s, rest)
        self.assertEqual((status, body), (200, HEALTHY))

    def test_connection_close_honoured(self):
        s = self.conn()
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        status, _, body, rest = read_response(s)
        self.assertEqual((status, body), (200, HEALTHY))
        self.assertEqual(rest + assert_closed(self, s), b"")

    def test_http10_closes_after_response(self):
        s = self.conn()
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.0\r\n\r\n".encode())
        status, _, body, rest = read_response(s)
        self.assertEqual((status, body), (200, HEALTHY))
        self.assertEqual(rest + assert_closed(self, s), b"")

    def test_head_over_16k_is_431_and_closed(self):
        s = self.conn()
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: t\r\nX-Big: {'a' * 17000}\r\n\r\n".encode())
        try:
            status, _, _, _ = read_response(s)
        except ConnectionResetError:
            self.fail("connection reset before the 431 could be read (close without draining?)")
        self.assertEqual(status, 431)
        assert_closed(self, s)

    def test_many_small_headers_over_16k_is_431(self):
        s = self.conn()
        headers = "".join(f"X-H{i}: {'v' * 60}\r\n" for i in range(300))
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: t\r\n{headers}\r\n".encode())
        status, _, _, _ = read_response(s)
        self.assertEqual(status, 431)
        assert_closed(self, s)

    def test_malformed_request_400_and_closed(self):
        for raw in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n",
                    f"GET {BASE_PATH}/healthz FOO/1.1\r\n\r\n".encode(),
                    f"GET {BASE_PATH}/healthz HTTP/1.1\r\nNoColonHere\r\n\r\n".encode(),
                    f"GET {BASE_PATH}/healthz HTTP/1.1\r\nContent-Length: abc\r\n\r\n".encode(),
                    f"GET {BASE_PATH}/healthz HTTP/1.1\r\nContent-Length: 1\r\n"
                    "Content-Length: 2\r\n\r\nab".encode()):
            with self.subTest(raw=raw[:50]):
                s = self.server().connect()
                try:
                    s.sendall(raw)
                    status, _, _, _ = read_response(s)
                    self.assertEqual(status, 400)
                    assert_closed(self, s)
                finally:
                    s.close()

    def test_body_over_1mib_is_413(self):
        s = self.conn()
        s.sendall(f"POST {BASE_PATH}/v1/challenges/initialize HTTP/1.1\r\nHost: t\r\n"
                  "Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n".encode())
        status, _, _, _ = read_response(s)
        self.assertEqual(status, 413)
        assert_closed(self, s)

    def test_server_survives_client_reset_mid_request(self):
        s = self.server().connect()
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: t\r\nX-Partial: ".encode())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        self.assertEqual(self.server().get("/healthz").status, 200)

    def test_thousand_connections_opened_and_closed(self):
        srv = self.server()
        socks = []
        try:
            for i in range(1000):
                s = socket.socket()
                s.settimeout(10 * harness.SLOW)
                s.connect(("127.0.0.1", srv.http_port))
                socks.append(s)
                if i % 3 == 1:
                    s.sendall(b"GET " + BASE_PATH.encode() + b"/healthz HTTP/1.1\r\nHo")
            for i, s in enumerate(socks):
                if i % 2:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        finally:
            for s in socks:
                s.close()
        self.assertTrue(srv.alive(), srv.log_tail())
        r = srv.get("/healthz")
        self.assertEqual((r.status, r.body), (200, HEALTHY))
        # and it still keeps a connection alive afterwards
        s = self.conn()
        s.sendall(HEALTHZ + HEALTHZ)
        rest = b""
        for _ in range(2):
            status, _, _, rest = read_response(s, rest)
            self.assertEqual(status, 200)


class TimeoutTests(SharedServer, unittest.TestCase):
    """A server whose idle and header timeouts are short."""

    server_env = {"CHALLENGED_IDLE_TIMEOUT_MS": "300", "CHALLENGED_HEADER_TIMEOUT_MS": "500"}

    def conn(self):
        s = self.server().connect()
        self.addCleanup(s.close)
        return s

    def test_idle_keep_alive_connection_closed(self):
        s = self.conn()
        s.sendall(HEALTHZ)
        status, _, _, rest = read_response(s)
        self.assertEqual(status, 200)
        t0 = time.monotonic()
        self.assertEqual(rest + assert_closed(self, s, timeout=10), b"")
        self.assertGreaterEqual(time.monotonic() - t0, 0.2, "closed before the idle timeout")

    def test_silent_connection_closed(self):
        s = self.conn()
        data = assert_closed(self, s, timeout=10)
        self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 408"), data[:100])

    def test_incomplete_head_closed_after_header_timeout(self):
        s = self.conn()
        s.sendall(f"GET {BASE_PATH}/healthz HTTP/1.1\r\nHost: t\r\n".encode())
        data = assert_closed(self, s, timeout=10)
        self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 408"), data[:100])

    def test_busy_connection_not_cut(self):
        # back-to-back requests well inside the timeouts keep working
        s = self.conn()
        rest = b""
        for _ in range(20):
            s.sendall(HEALTHZ)
            status, _, _, rest = read_response(s, rest)
            self.assertEqual(status, 200)


class ShutdownTests(unittest.TestCase):
    """Each test owns its server: SIGTERM is the subject."""

    def test_sigterm_answers_request_in_flight(self):
        srv = Server(name="sigterm-inflight")
        self.addCleanup(srv.kill)
        srv.start()
        user = user_id("inflight")
        # Hold the table so the list request waits inside Postgres.
        locker = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.addCleanup(lambda: locker.poll() is None and locker.kill())
        locker.stdin.write(b"BEGIN;\nLOCK TABLE user_goal_progress IN ACCESS EXCLUSIVE MODE;\n"
                           b"\\echo locked\n")
        locker.stdin.flush()
        self.assertEqual(locker.stdout.readline().strip(), b"locked")

        s = srv.connect(timeout=30)
        self.addCleanup(s.close)
        s.sendall(list_request(user))
        deadline = time.monotonic() + 15 * harness.SLOW
        while True:
            waiting = psql("SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                           "relation = 'user_goal_progress'::regclass")[0][0]
            if waiting != "0":
                break
            self.assertLess(time.monotonic(), deadline, "the list request never reached Postgres")
            time.sleep(0.02)

        srv.signal(signal.SIGTERM)
        self.assertTrue(srv.alive(), "exited with a request still in flight")
        locker.stdin.write(b"COMMIT;\n")
        locker.stdin.close()
        locker.wait(30)

        status, _, body, _ = read_response(s)
        self.assertEqual(status, 200)
        self.assertIn("challenges", json.loads(body))
        srv.stop()

    def test_sigterm_with_idle_connections_exits_promptly(self):
        srv = Server(name="sigterm-idle")
        self.addCleanup(srv.kill)
        srv.start()
        socks = []
        for _ in range(5):
            s = srv.connect()
            self.addCleanup(s.close)
            s.sendall(HEALTHZ)
            self.assertEqual(read_response(s)[0], 200)
            socks.append(s)
        srv.signal(signal.SIGTERM)
        self.assertIsNotNone(srv.wait_exit(15), "still running 15 s after SIGTERM")
        for s in socks:
            assert_closed(self, s, timeout=5)
        srv.stop()

    def test_sigint_also_stops_cleanly(self):
        srv = Server(name="sigint")
        self.addCleanup(srv.kill)
        srv.start()
        srv.proc.send_signal(signal.SIGINT)
        self.assertEqual(srv.wait_exit(15), 0, srv.log_tail())
        srv.terminated = True
        srv.stop()


if __name__ == "__main__":
    unittest.main()
