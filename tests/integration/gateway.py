"""Shared helpers for the write-route tests (spec api.md §2, §3, §5.2-§5.7):
requests with a mock user, exact gateway error bodies, time windows for
server-chosen timestamps, the mock reward client's grant log lines, and the
demo config indexed by goal id. The oracle for rotation periods is listing.py."""

import datetime as dt
import http.client
import json
import time

import harness
from harness import load_config
from listing import UTC, Obj, parse_db_time, parse_pairs

ACTIVE = "/v1/challenges/{c}/goals/{g}/active"
CLAIM = "/v1/challenges/{c}/goals/{g}/claim"
BATCH = "/v1/challenges/{c}/goals/batch-select"
RANDOM = "/v1/challenges/{c}/goals/random-select"
ROTATION = "/v1/challenges/{c}/rotation"
INITIALIZE = "/v1/challenges/initialize"

GRANT_MSG = "[DevMock] GrantReward"
SELECTED_KEYS = ["goalId", "name", "description", "requirement", "reward", "status", "progress",
                 "target", "isActive", "assignedAt", "expiresAt"]
ASSIGNED_KEYS = ["challengeId", "goalId", "name", "description", "isActive", "assignedAt",
                 "expiresAt", "progress", "target", "status", "requirement", "reward"]


def body_bytes(body):
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


class OneWriteConnection(http.client.HTTPConnection):
    """http.client sends the head and the body with two send() calls; this
    sends them with one, so that a test of a route does not depend on how
    the kernel splits the request (split delivery has its own tests)."""

    def _send_output(self, message_body=None, encode_chunked=False):
        if isinstance(message_body, bytes) and not encode_chunked:
            self._buffer.extend((b"", b""))
            msg = b"\r\n".join(self._buffer) + message_body
            del self._buffer[:]
            self.send(msg)
            return
        super()._send_output(message_body, encode_chunked)


def call(srv, method, path, body=None, user=None, headers=None, timeout=10):
    """One request on a fresh connection, path under BASE_PATH; body may be
    bytes, str or a JSON-able value; user sets x-mock-user-id."""
    h = dict(headers or {})
    if user is not None:
        h["x-mock-user-id"] = user
    data = body_bytes(body)
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    conn = OneWriteConnection("127.0.0.1", srv.http_port, timeout=timeout * harness.SLOW)
    try:
        conn.request(method, harness.BASE_PATH + path, body=data, headers=h)
        r = conn.getresponse()
        return harness.Response(r.status, r.reason, r.getheaders(), r.read())
    finally:
        conn.close()


def set_active(srv, user, c, g, body, **kw):
    return call(srv, "PUT", ACTIVE.format(c=c, g=g), body, user, **kw)


def claim(srv, user, c, g, body=b"{}", **kw):
    return call(srv, "POST", CLAIM.format(c=c, g=g), body, user, **kw)


def batch(srv, user, c, body, **kw):
    return call(srv, "POST", BATCH.format(c=c), body, user, **kw)


def random_select(srv, user, c, body, **kw):
    return call(srv, "POST", RANDOM.format(c=c), body, user, **kw)


def initialize(srv, user, body=None, **kw):
    return call(srv, "POST", INITIALIZE, body, user, **kw)


def ordered(resp):
    """The body parsed with key order and duplicates kept (listing.Obj)."""
    return parse_pairs(resp.body.decode("utf-8"))


def assert_gateway_json(tc, resp, status):
    """Status, Content-Type and the compact single-line form of §2.1."""
    tc.assertEqual(resp.status, status, resp.body[:400])
    tc.assertEqual(resp.header("Content-Type"), "application/json", resp.body[:200])
    tc.assertFalse(resp.body.endswith(b"\n"), "gateway bodies have no trailing newline")
    return ordered(resp)


def assert_error(tc, resp, status, code, message=None, prefix=None):
    """A gateway error (§3.1): exactly {"code","message","details":[]}."""
    doc = assert_gateway_json(tc, resp, status)
    tc.assertEqual(doc.keys(), ["code", "message", "details"], resp.body[:400])
    tc.assertEqual(doc.last("code"), code, resp.body[:400])
    tc.assertEqual(doc.last("details"), [])
    msg = doc.last("message")
    if message is not None:
        tc.assertEqual(msg, message)
    if prefix is not None:
        tc.assertTrue(msg.startswith(prefix), f"message {msg!r} does not start with {prefix!r}")
    tc.assertTrue(msg, "an error carries a message")
    return msg


def assert_decode_error(tc, resp):
    """Malformed JSON or a wrong field type (§2.2): 400, code 3, the
    decoder's text (protobuf-JSON's messages start with "proto:")."""
    return assert_error(tc, resp, 400, 3, prefix="proto:")


def plain(tc, resp, status, text):
    """An optimized handler's plain-text answer (§3.2)."""
    tc.assertEqual((resp.status, resp.body), (status, text.encode() + b"\n"))
    tc.assertEqual(resp.header("Content-Type"), "text/plain; charset=utf-8")


# --- config --------------------------------------------------------------------

def goals_by_id(config=None):
    """goal id -> (challenge id, goal config)."""
    cfg = config or load_config()
    return {g["goalId"]: (c["challengeId"], g) for c in cfg["challenges"] for g in c["goals"]}


def challenge(cid, config=None):
    cfg = config or load_config()
    for c in cfg["challenges"]:
        if c["challengeId"] == cid:
            return c
    raise KeyError(cid)


def requirement_obj(g):
    r = g["requirement"]
    return Obj([("statCode", r["statCode"]), ("operator", r["operator"]),
                ("targetValue", r["targetValue"])])


def reward_obj(g):
    r = g["reward"]
    return Obj([("type", r["type"]), ("rewardId", r["rewardId"]), ("quantity", r["quantity"])])


# --- time ----------------------------------------------------------------------

class Window:
    """Wall-clock bounds of a request, for timestamps the server picks."""

    def __init__(self):
        self.t0 = time.time()
        self.t1 = None

    def close(self):
        self.t1 = time.time()
        return self

    def now0(self):
        return dt.datetime.fromtimestamp(self.t0, UTC)

    def now1(self):
        return dt.datetime.fromtimestamp(self.t1, UTC)

    def check_rfc3339(self, tc, text, what="timestamp"):
        """text is RFC3339 UTC with second precision inside the window."""
        tc.assertRegex(text, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", what)
        t = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        tc.assertTrue(int(self.t0) - 1 <= t <= self.t1 + 1,
                      f"{what} {text} outside [{self.t0}, {self.t1}]")
        return t

    def check_db(self, tc, text, what="db timestamp"):
        """A TIMESTAMP column as psql prints it, inside the window."""
        tc.assertNotEqual(text, "", f"{what} is NULL")
        t = parse_db_time(text).timestamp()
        tc.assertTrue(self.t0 - 1.5 <= t <= self.t1 + 1.5,
                      f"{what} {text} outside [{self.t0}, {self.t1}]")
        return t


def rfc3339_of_db(text):
    """A stored TIMESTAMP as the API prints it (truncated to seconds)."""
    t = parse_db_time(text)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else ""


# --- the mock reward client's log ------------------------------------------------

def grant_lines(srv, user=None):
    """The server log's "[DevMock] GrantReward" lines (parsed), for user if
    given."""
    out = []
    for line in srv.log_text().splitlines():
        if GRANT_MSG not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if doc.get("msg") != GRANT_MSG:
            continue
        if user is None or doc.get("userID") == user:
            out.append(doc)
    return out


def poll(fn, timeout, what):
    """Calls fn() until it returns a true value; AssertionError after
    timeout seconds (scaled for sanitized builds)."""
    deadline = time.monotonic() + timeout * harness.SLOW
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"{what}: not seen within {timeout * harness.SLOW}s (last: {last!r})")


def settle_log(srv):
    """Waits until a request made now shows in the access log, so that
    everything logged before it is on disk."""
    marker = "/settle-" + harness.uuid.uuid4().hex
    srv.get(marker)             # a 404, logged with its path
    poll(lambda: marker in srv.log_text(), 5, "access log line of the marker request")


def grants_settled(srv, user):
    settle_log(srv)
    return grant_lines(srv, user)
