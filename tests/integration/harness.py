"""Integration harness: starts the challenged binary on free ports against the
test cluster, waits for readiness by polling, keeps its stderr in a file,
stops it with SIGTERM and insists on exit status 0 and no sanitizer report.
Talks to Postgres with psql. Configured by scripts/test through the
environment: CHALLENGED_BIN, PGHOST/PGPORT/PGUSER/PGDATABASE,
CHALLENGED_SANITIZED, CHALLENGED_TEST_TMP."""

import csv
import http.client
import io
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CONFIG_PATH = os.path.join(REPO, "config", "challenges.json")
BASE_PATH = "/challenge"
SANITIZED = os.environ.get("CHALLENGED_SANITIZED", "0") not in ("", "0", "false")
# Sanitized builds start and answer several times slower.
SLOW = 3 if SANITIZED else 1
RUN_ID = uuid.uuid4().hex[:8]

_tmp_root = None
_counter = itertools.count(1)

SANITIZER_PATTERNS = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"SUMMARY: (Address|Leak|UndefinedBehavior|Thread)Sanitizer|WARNING: ThreadSanitizer")


def tmp_dir():
    """Per-run directory for logs and key files (kept for post-mortems)."""
    global _tmp_root
    if _tmp_root is None:
        root = os.environ.get("CHALLENGED_TEST_TMP")
        if root:
            os.makedirs(root, exist_ok=True)
            _tmp_root = root
        else:
            _tmp_root = tempfile.mkdtemp(prefix="challenged-it-")
    return _tmp_root


def user_id(tag):
    """A user id unique to this run, so tests never see each other's rows."""
    return f"it-{RUN_ID}-{tag}-{next(_counter)}"


def _die_with_parent():
    """Runs in the child before exec: if the test runner dies (a CI timeout,
    a kill), the kernel kills the server too instead of orphaning it."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_config():
    with open(CONFIG_PATH) as f:
        return json.load(f)


class ServerError(AssertionError):
    pass


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value) as received
        self.body = body                # bytes

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


def db_env():
    """The test cluster's coordinates as the server's DB_* variables."""
    return {
        "DB_HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "DB_PORT": os.environ.get("PGPORT", "55433"),
        "DB_NAME": os.environ.get("PGDATABASE", "challenge_service"),
        "DB_USER": os.environ.get("PGUSER", "postgres"),
        "DB_PASSWORD": os.environ.get("PGPASSWORD", ""),
        "DB_SSLMODE": "disable",
    }


class Server:
    """One challenged process. env overrides the defaults below (a value of
    None removes the variable). Use start() / stop(), or `with Server() as s`."""

    def __init__(self, env=None, args=(), name="server"):
        self.overrides = dict(env or {})
        self.args = list(args)
        self.name = name
        self.proc = None
        self.log_path = None
        self.http_port = None
        self.started_at = None      # time.time() just before exec
        self.ready_at = None        # time.time() when readiness was seen
        self.stopped = False
        self.terminated = False

    # --- life cycle -------------------------------------------------------

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update({
            "BASE_PATH": BASE_PATH,
            "AB_NAMESPACE": "accelbyte",
            "CHALLENGE_CONFIG_PATH": CONFIG_PATH,
            "PLUGIN_GRPC_SERVER_AUTH_ENABLED": "false",
            "REWARD_CLIENT_MODE": "mock",
            "LOG_LEVEL": "info",
            "CHALLENGED_SHARDS": "2",
            "CHALLENGED_ACCESS_LOG": "true",
            "HTTP_PORT": str(free_port()),
            "GRPC_PORT": str(free_port()),
            "METRICS_PORT": str(free_port()),
        })
        env.update(db_env())
        for k, v in self.overrides.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    def spawn(self):
        """Starts the process without waiting for anything."""
        binary = os.environ.get("CHALLENGED_BIN", "")
        if not binary or not os.access(binary, os.X_OK):
            raise ServerError(f"CHALLENGED_BIN is not an executable file: {binary!r} "
                              "(scripts/test sets it; build the server first)")
        env = self._env()
        self.http_port = int(env["HTTP_PORT"])
        self.env = env
        n = next(_counter)
        self.log_path = os.path.join(tmp_dir(), f"{self.name}-{n}.log")
        log = open(self.log_path, "wb")
        self.started_at = time.time()
        self.proc = subprocess.Popen([binary] + self.args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                     preexec_fn=_die_with_parent)
        log.close()
        self.stopped = False
        self.terminated = False
        return self

    def start(self, wait="healthy", headers=None, timeout=30):
        """Spawns and waits: wait="healthy" until GET healthz answers 200,
        "http" until it answers anything, None not at all. A port taken
        between our probe and the server's bind is retried."""
        for attempt in range(3):
            self.spawn()
            try:
                if wait:
                    self.wait_ready(wait, headers, timeout)
                return self
            except ServerError:
                if self.proc.poll() is not None and "in use" in self.log_tail() and attempt < 2:
                    continue
                self.kill()
                raise
        return self

    def wait_ready(self, wait="healthy", headers=None, timeout=30):
        deadline = time.monotonic() + timeout * SLOW
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with status {self.proc.returncode} "
                                  f"before it was ready; log:\n{self.log_tail()}")
            try:
                r = self.get("/healthz", headers=headers, timeout=2)
                last = r.status
                if wait == "http" or r.status == 200:
                    self.ready_at = time.time()
                    return
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise ServerError(f"{self.name} not ready after {timeout * SLOW}s (last: {last!r}); "
                          f"log:\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if sig == signal.SIGTERM:
            self.terminated = True
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=15):
        try:
            return self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, expect_code=0):
        """SIGTERM, wait, then check the exit status and the log. Raises
        ServerError (an AssertionError) on any problem; safe to call twice."""
        if self.proc is None or self.stopped:
            return
        self.stopped = True
        problems = []
        if self.proc.poll() is None:
            if not self.terminated:
                self.signal(signal.SIGTERM)
            if self.wait_exit(15) is None:
                self.proc.kill()
                self.proc.wait()
                problems.append(f"did not exit within {15 * SLOW}s of SIGTERM (killed)")
        elif expect_code is not None and not self.terminated:
            problems.append("had already exited before SIGTERM")
        rc = self.proc.returncode
        if expect_code is not None and rc != expect_code and not problems:
            problems.append(f"exit status {rc}, expected {expect_code}")
        self.check_log(problems)
        if problems:
            raise ServerError(f"{self.name}: " + "; ".join(problems) + f"\nlog:\n{self.log_tail()}")

    def check_log(self, problems):
        text = self.log_text()
        m = SANITIZER_PATTERNS.search(text)
        if m:
            problems.append(f"sanitizer report in the log ({m.group(0)!r})")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stopped = True

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is None:
            self.stop()
        else:
            self.kill()

    # --- logs -------------------------------------------------------------

    def log_text(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    # --- HTTP -------------------------------------------------------------

    def request(self, method, path, headers=None, body=None, timeout=10, base=True):
        """One request on a fresh connection; path is under BASE_PATH unless
        base=False."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout * SLOW)
        try:
            conn.request(method, (BASE_PATH if base else "") + path, body=body,
                         headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, r.reason, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, headers=headers, **kw)

    def list(self, user=None, query="", headers=None, **kw):
        h = dict(headers or {})
        if user is not None:
            h["x-mock-user-id"] = user
        return self.get("/v1/challenges" + query, headers=h, **kw)

    def connect(self, timeout=10):
        """A raw TCP connection to the HTTP listener."""
        s = socket.create_connection(("127.0.0.1", self.http_port), timeout=timeout * SLOW)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s


class SharedServer:
    """Mixin for TestCase classes that share one server: started by the first
    test that asks for it (so a start-up failure fails each test, not a
    hidden setUpClass), stopped and checked in tearDownClass."""

    server_env = {}
    server_args = ()
    _server = None
    _server_error = None

    @classmethod
    def server(cls):
        if cls._server_error is not None:
            first = str(cls._server_error).splitlines()[0]
            raise ServerError(f"shared server failed to start earlier ({first}; log above)")
        if cls._server is None:
            try:
                env, start_kwargs = cls.prepare()
                s = Server(env, cls.server_args, name=cls.__name__)
                s.start(**start_kwargs)
            except Exception as e:
                cls._server_error = e
                raise
            cls._server = s
        return cls._server

    @classmethod
    def prepare(cls):
        """(environment overrides, Server.start keyword arguments)."""
        return cls.server_env, {}

    @classmethod
    def tearDownClass(cls):
        s, cls._server, cls._server_error = cls._server, None, None
        if s is not None:
            s.stop()
        super().tearDownClass()


# --- raw HTTP/1.1 -------------------------------------------------------------

def read_response(sock, buf=b""):
    """Reads one HTTP/1.1 response (Content-Length or chunked or until EOF)
    from sock. Returns (status, headers dict lower-cased, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(f"connection closed inside a response head: {buf[:200]!r}")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed inside a response body")
            buf += chunk
        return status, headers, buf[:n], buf[n:]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in buf:
                buf += _recv_more(sock)
            size_line, _, buf = buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                buf += _recv_more(sock)
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                return status, headers, body, buf
    body = buf
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return status, headers, body, b""
        body += chunk


def _recv_more(sock):
    chunk = sock.recv(65536)
    if not chunk:
        raise EOFError("connection closed inside a chunked body")
    return chunk


def read_until_eof(sock, timeout):
    """Reads until the peer closes; returns the bytes, or raises
    socket.timeout if the connection is still open after timeout seconds.
    A reset counts as closed."""
    sock.settimeout(timeout * SLOW)
    data = b""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
        if time.monotonic() > deadline:
            raise socket.timeout("still open")


# --- Postgres ---------------------------------------------------------------

def psql(sql, *, db=None, port=None, check=True):
    """Runs SQL with psql against the test cluster; returns rows as lists of
    strings (NULL is "")."""
    env = dict(os.environ)
    if db:
        env["PGDATABASE"] = db
    if port:
        env["PGPORT"] = str(port)
        env["PGHOST"] = "127.0.0.1"
    env.setdefault("PGHOST", "127.0.0.1")
    env.setdefault("PGUSER", "postgres")
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-t", "-c", sql],
                       env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60 * SLOW)
    if check and p.returncode != 0:
        raise AssertionError(f"psql failed ({p.returncode}): {p.stderr.decode(errors='replace')}"
                             f"\nSQL: {sql}")
    return list(csv.reader(io.StringIO(p.stdout.decode())))


def sql_literal(v):
    """SQL text for a Python value; str values that start with '=' are raw
    SQL expressions (e.g. "=NOW() - interval '25 hours'")."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str) and v.startswith("="):
        return v[1:]
    return "'" + str(v).replace("'", "''") + "'"


ROW_COLUMNS = ("user_id", "goal_id", "challenge_id", "namespace", "progress", "status",
               "completed_at", "claimed_at", "created_at", "updated_at", "is_active",
               "assigned_at", "expires_at", "baseline_value")


def seed_rows(rows):
    """Upserts user_goal_progress rows (dicts with ROW_COLUMNS keys; defaults
    as the table's). challenge_id defaults to the goal's challenge."""
    goal_challenge = {g["goalId"]: c["challengeId"]
                      for c in load_config()["challenges"] for g in c["goals"]}
    values = []
    for r in rows:
        full = {"namespace": "accelbyte", "progress": 0, "status": "not_started",
                "completed_at": None, "claimed_at": None, "created_at": "=NOW()",
                "updated_at": "=NOW()", "is_active": True, "assigned_at": "=NOW()",
                "expires_at": None, "baseline_value": None,
                "challenge_id": goal_challenge.get(r["goal_id"], "unknown")}
        full.update(r)
        values.append("(" + ", ".join(sql_literal(full[c]) for c in ROW_COLUMNS) + ")")
    cols = ", ".join(ROW_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in ROW_COLUMNS[2:])
    psql(f"INSERT INTO user_goal_progress ({cols}) VALUES {', '.join(values)} "
         f"ON CONFLICT (user_id, goal_id) DO UPDATE SET {updates}")


def fetch_rows(user):
    """The user's rows as dicts keyed by goal id (values as psql prints them)."""
    rows = psql("SELECT " + ", ".join(ROW_COLUMNS) + " FROM user_goal_progress WHERE user_id = "
                + sql_literal(user))
    return {r[1]: dict(zip(ROW_COLUMNS, r)) for r in rows}


# --- private clusters (scripts/lib/pg.sh) -----------------------------------

class AuxCluster:
    """A throwaway cluster (its own data dir and port) that a test may stop
    and start at will without disturbing the shared test cluster."""

    def __init__(self, name="test-aux"):
        self.name = name
        self.port = free_port()
        self.db = "challenge_service"

    def _pg(self, *args):
        p = subprocess.run(["bash", os.path.join(REPO, "scripts", "lib", "pg.sh")] + list(args),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError(f"pg.sh {' '.join(args)} failed: "
                                 f"{p.stderr.decode(errors='replace')}")
        return p

    def start(self):
        self._pg("start", self.name, str(self.port), self.db)
        return self

    def fresh_database(self):
        """Drops and recreates the database, leaving the cluster stopped."""
        self.start()
        self._pg("recreatedb", self.name, str(self.port), self.db)
        self.stop()

    def stop(self):
        self._pg("stop", self.name)

    def server_env(self):
        return {"DB_HOST": "127.0.0.1", "DB_PORT": str(self.port), "DB_NAME": self.db}
