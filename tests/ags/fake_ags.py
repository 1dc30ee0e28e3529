"""A fake AccelByte Gaming Services backend (IAM + Platform) for the
integration tests and demos: the endpoints challenged calls (spec
auth.md §2, §7 and rewards.md §2), served over HTTPS with a test CA (or
plain HTTP), with switches to inject failures, delays, hangs, dropped
connections, key rotation and revocations while it runs.

    fake = FakeAGS(namespace="ns", client_id="id", client_secret="s")
    ... AB_BASE_URL=fake.url, CA file fake.ca_file ...
    fake.fail_next("entitlement", [503, 503])
    fake.stop()

CLI (demos): fake_ags.py --port 0 --dir DIR [--plain] prints one JSON
line {"url", "ca_file", ...} once listening and serves until SIGTERM/SIGINT."""

import base64
import datetime
import http.server
import json
import os
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from bloom import Filter  # noqa: E402
from certs import make_pki  # noqa: E402
from tokens import Issuer  # noqa: E402

ROUTES = ("token", "jwks", "revocation", "entitlement", "wallet")
_IAM_ROUTES = ("token", "jwks", "revocation")


def rfc3339(t):
    """RFC 3339 UTC text for an epoch time, a datetime or a ready string."""
    if isinstance(t, str):
        return t
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        t = t.timestamp()
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _route_of(path):
    """(route, params) for a request path, or (None, None). route may name a
    known path hit with the wrong method; the caller answers 405 then."""
    parts = path.split("/")
    if path == "/iam/v3/oauth/token":
        return "token", {}
    if path == "/iam/v3/oauth/jwks":
        return "jwks", {}
    if path == "/iam/v3/oauth/revocationlist":
        return "revocation", {}
    # /platform/admin/namespaces/{ns}/users/{uid}/entitlements
    if (len(parts) == 8 and parts[1:4] == ["platform", "admin", "namespaces"]
            and parts[5] == "users" and parts[7] == "entitlements"):
        return "entitlement", {"namespace": urllib.parse.unquote(parts[4]),
                               "user_id": urllib.parse.unquote(parts[6])}
    # /platform/admin/namespaces/{ns}/users/{uid}/wallets/{code}/credit
    if (len(parts) == 10 and parts[1:4] == ["platform", "admin", "namespaces"]
            and parts[5] == "users" and parts[7] == "wallets" and parts[9] == "credit"):
        return "wallet", {"namespace": urllib.parse.unquote(parts[4]),
                          "user_id": urllib.parse.unquote(parts[6]),
                          "currency": urllib.parse.unquote(parts[8])}
    return None, None


_METHODS = {"token": "POST", "jwks": "GET", "revocation": "GET",
            "entitlement": "POST", "wallet": "PUT"}


class _Drop(Exception):
    """Close the connection without an answer."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAGS/1.0"

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("fake_ags: %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = b""
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise _Drop()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _dispatch(self):
        fake = self.server.fake
        path = urllib.parse.urlsplit(self.path).path
        route, params = _route_of(path)
        try:
            rec = fake._record(self, route, path, self._read_body())
            if route is not None:
                fake._before_answer(route)
            status, obj = fake._answer(route, params, self, rec)
        except _Drop:
            self.close_connection = True
            try:
                socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
            except OSError:
                pass
            return
        rec["status"] = status
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog (5) drops the SYNs of a burst of new
    # connections (a shard dialling dozens at once), which then wait for
    # the kernel's 1 s, 3 s, ... retransmissions.
    request_queue_size = 1024

    def __init__(self, addr, fake, ctx):
        self.fake = fake
        self.ctx = ctx
        self.conns = set()
        self.threads = set()
        self.lock = threading.Lock()
        super().__init__(addr, _Handler)

    def process_request(self, request, client_address):
        t = threading.Thread(target=self.process_request_thread,
                             args=(request, client_address), daemon=True)
        with self.lock:
            self.threads.add(t)
        t.start()

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.threads.discard(threading.current_thread())

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's own thread,
        # so a client stalling its handshake cannot hold up accept(). The
        # socket is registered before the handshake so stop() can cut it.
        conn = request
        try:
            if self.ctx is not None:
                request.settimeout(10)
                conn = self.ctx.wrap_socket(request, server_side=True,
                                            do_handshake_on_connect=False)
            with self.lock:
                self.conns.add(conn)
            if self.fake._stopping.is_set():
                return
            if conn is not request:
                conn.do_handshake()
                conn.settimeout(None)
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            with self.lock:
                self.conns.discard(conn)
            if conn is not request:
                try:
                    conn.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError, ValueError)) and not self.fake.verbose:
            return
        super().handle_error(request, client_address)


class FakeAGS:
    """IAM + Platform fake. All switch methods are thread-safe and take
    effect for requests that reach the switch point after the call."""

    def __init__(self, namespace="accelbyte", client_id="fake-client",
                 client_secret="fake-secret", *, tls=True, cert="server", port=0,
                 dir=None, token_ttl=3600, bloom_m=None, bloom_k=None, verbose=False):
        if cert not in ("server", "wrong-host", "rogue"):
            raise ValueError("cert must be server, wrong-host or rogue")
        self.namespace = namespace
        self.client_id = client_id
        self.client_secret = client_secret
        self.verbose = verbose
        self._default_ttl = token_ttl
        self._bloom_mk = (bloom_m, bloom_k)
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._kid_seq = 0
        self.issuer = self._new_issuer()
        self._issuers = [self.issuer]
        self._issued = {}
        self._reset_state()

        self._own_dir = None
        ctx = None
        self.pki = None
        self.ca_file = None
        if tls:
            if dir is None:
                dir = self._own_dir = tempfile.mkdtemp(prefix="fake-ags-")
            self.pki = make_pki(dir)
            leaf = {"server": ("server", "server_key"),
                    "wrong-host": ("wrong_host", "wrong_host_key"),
                    "rogue": ("rogue_server", "rogue_server_key")}[cert]
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.pki[leaf[0]], self.pki[leaf[1]])
            self.ca_file = self.pki["ca"]
        self._httpd = _Server(("127.0.0.1", port), self, ctx)
        self.port = self._httpd.server_address[1]
        self.url = ("https://localhost:%d" if tls else "http://127.0.0.1:%d") % self.port
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # ---- lifecycle -------------------------------------------------------

    def stop(self):
        """Stop serving: release hung requests (their connections are closed
        unanswered), close every connection and the listening socket."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._httpd.lock:
            conns = list(self._httpd.conns)
            threads = list(self._httpd.threads)
        for c in conns:
            try:
                socket.socket.shutdown(c, socket.SHUT_RDWR)
            except OSError:
                pass
        for t in threads:
            t.join(5)
        self._thread.join(5)
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- switches --------------------------------------------------------

    @staticmethod
    def _check_route(route):
        if route not in ROUTES:
            raise ValueError("unknown route %r (one of %s)" % (route, ", ".join(ROUTES)))

    def fail_next(self, route, statuses):
        """Answer the next len(statuses) requests of route with these
        statuses in order (appended to any still pending)."""
        self._check_route(route)
        if isinstance(statuses, int):
            statuses = [statuses]
        with self._lock:
            self._fail[route].extend(int(s) for s in statuses)

    def set_delay(self, route, seconds):
        """Answer every request of route after this delay (0/None: none)."""
        self._check_route(route)
        with self._lock:
            self._delay[route] = float(seconds or 0)

    def hang(self, route, on=True):
        """Hold requests of route unanswered until hang(route, False) (they
        then proceed normally) or stop() (closed unanswered)."""
        self._check_route(route)
        with self._cond:
            self._hang[route] = bool(on)
            self._cond.notify_all()

    def drop_next(self, route, n=1, apply=False):
        """Close the connection of the next n requests of route unanswered.
        With apply the requests take effect first (grant recorded, token
        issued) and only the answer is lost."""
        self._check_route(route)
        with self._lock:
            (self._drop_after if apply else self._drop)[route] += int(n)

    def rotate_key(self, keep_old=False):
        """A new signing key with a new kid becomes current; the old keys
        stay in the JWKS only with keep_old. Returns the new Issuer."""
        iss = self._new_issuer()
        with self._lock:
            self._issuers = (self._issuers if keep_old else []) + [iss]
            self.issuer = iss
        return iss

    def revoke_token(self, token):
        with self._lock:
            self._filter.put(token)

    def revoke_user(self, user_id, at=None):
        """Revoke user_id at time at (epoch seconds, datetime or RFC 3339
        text; default now)."""
        with self._lock:
            self._revoked_users[user_id] = rfc3339(time.time() if at is None else at)

    def set_token_ttl(self, seconds):
        with self._lock:
            self._ttl = int(seconds)

    def count(self, route):
        """Requests seen for route (answered, failed, dropped or hanging);
        route None counts requests to unknown paths."""
        with self._lock:
            return self._counts.get(route, 0)

    @property
    def requests(self):
        """Snapshot of the recorded requests, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, route):
        with self._lock:
            return [r for r in self._requests if r["route"] == route]

    def reset(self):
        """Forget requests, counts, pending switches, revocations, granted
        rewards and TTL changes. Keys and already issued tokens stay valid."""
        with self._cond:
            self._reset_state()
            self._cond.notify_all()

    # ---- tokens and state ------------------------------------------------

    def user_token(self, sub, **kw):
        """A user access token signed by the current key; kw goes to
        Issuer.token (exp_in, kid, claims, drop, header, iat_offset)."""
        claims = {"namespace": self.namespace}
        claims.update(kw.pop("claims", None) or {})
        return self.issuer.token(sub, claims=claims, **kw)

    def client_token(self):
        """A client-credentials token as the token endpoint would issue."""
        with self._lock:
            ttl = self._ttl
            iss = self.issuer
        now = int(time.time())
        tok = iss.token(None, exp_in=ttl, drop=("sub",), claims={
            "client_id": self.client_id, "namespace": self.namespace,
            "iat": now, "exp": now + ttl, "scope": "account commerce social publishing analytics",
            "permissions": [], "roles": []})
        with self._lock:
            self._issued[tok] = now + ttl
        return tok

    def wallet_balance(self, user_id, currency):
        with self._lock:
            return self._wallets.get((user_id, currency), 0)

    def entitlements(self, user_id=None):
        """Granted entitlements (as answered), optionally for one user."""
        with self._lock:
            return [e for e in self._entitlements if user_id in (None, e["userId"])]

    # ---- internals -------------------------------------------------------

    def _new_issuer(self):
        with self._lock:
            self._kid_seq += 1
            kid = "fake-ags-%d-%s" % (self._kid_seq, uuid.uuid4().hex[:8])
        return Issuer(kid=kid)

    def _reset_state(self):
        self._requests = []
        self._counts = {}
        self._fail = {r: [] for r in ROUTES}
        self._delay = {r: 0.0 for r in ROUTES}
        self._hang = {r: False for r in ROUTES}
        self._drop = {r: 0 for r in ROUTES}
        self._drop_after = {r: 0 for r in ROUTES}
        self._filter = Filter(*self._bloom_mk)
        self._revoked_users = {}
        self._ttl = self._default_ttl
        self._wallets = {}
        self._entitlements = []

    def _record(self, h, route, path, body):
        rec = {"route": route, "method": h.command, "path": path, "target": h.path,
               "headers": {k.lower(): v for k, v in h.headers.items()},
               "body": body, "json": None, "form": None, "time": time.time(),
               "status": None}
        # Form only when declared; JSON whenever the body parses, so a
        # wrong Content-Type on our side does not hide the payload (the
        # recorded headers still show it).
        if "x-www-form-urlencoded" in h.headers.get("Content-Type", ""):
            rec["form"] = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                      keep_blank_values=True))
        if body:
            try:
                rec["json"] = json.loads(body)
            except ValueError:
                pass
        with self._lock:
            self._requests.append(rec)
            self._counts[route] = self._counts.get(route, 0) + 1
        return rec

    def _before_answer(self, route):
        """Hang, then delay, then drop: the order lets a test combine a slow
        answer with a lost one."""
        with self._cond:
            while self._hang[route] and not self._stopping.is_set():
                self._cond.wait()
            delay = self._delay[route]
        if self._stopping.is_set():
            raise _Drop()
        if delay > 0 and self._stopping.wait(delay):
            raise _Drop()
        with self._lock:
            if self._drop[route] > 0:
                self._drop[route] -= 1
                raise _Drop()

    def _answer(self, route, params, h, rec):
        if route is None:
            return 404, {"errorCode": 404, "errorMessage": "no such endpoint: " + rec["path"]}
        if h.command != _METHODS[route]:
            return 405, {"errorCode": 405, "errorMessage": "method not allowed"}
        with self._lock:
            status = self._fail[route].pop(0) if self._fail[route] else None
        if status is not None:
            return status, self._error_body(route, status, "injected failure")
        answer = getattr(self, "_do_" + route)(params, h, rec)
        with self._lock:
            if self._drop_after[route] > 0:
                self._drop_after[route] -= 1
                raise _Drop()
        return answer

    @staticmethod
    def _error_body(route, status, text):
        if route in ("token",):
            kind = {400: "invalid_request", 401: "invalid_client",
                    403: "access_denied"}.get(status, "server_error")
            return {"error": kind, "error_description": "%s (%d)" % (text, status)}
        return {"errorCode": status * 100, "errorMessage": "%s (%d)" % (text, status)}

    def _bearer_ok(self, h):
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        tok = auth[7:].strip()
        with self._lock:
            exp = self._issued.get(tok)
            return exp is not None and time.time() < exp and not self._filter.might_contain(tok)

    def _unauthorized(self):
        return 401, {"errorCode": 20001, "errorMessage": "unauthorized access"}

    def _do_token(self, params, h, rec):
        auth = h.headers.get("Authorization", "")
        ok = False
        if auth.startswith("Basic "):
            try:
                cid, _, sec = base64.b64decode(auth[6:].strip()).decode().partition(":")
                ok = (cid == self.client_id and sec == self.client_secret)
            except (ValueError, UnicodeDecodeError):
                ok = False
        if not ok:
            return 401, {"error": "invalid_client",
                         "error_description": "client authentication failed"}
        form = rec["form"] or {}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "grant_type must be client_credentials"}
        tok = self.client_token()
        with self._lock:
            ttl = self._ttl
        return 200, {"access_token": tok, "token_type": "Bearer", "expires_in": ttl,
                     "namespace": self.namespace, "scope": "account commerce",
                     "bans": [], "permissions": [], "roles": [], "is_comply": True}

    def _do_jwks(self, params, h, rec):
        with self._lock:
            return 200, {"keys": [i.jwk() for i in self._issuers]}

    def _do_revocation(self, params, h, rec):
        if not self._bearer_ok(h):
            return self._unauthorized()
        with self._lock:
            return 200, {"revoked_tokens": self._filter.to_json(),
                         "revoked_users": [{"id": u, "revoked_at": at}
                                           for u, at in self._revoked_users.items()]}

    def _platform_check(self, params, h):
        if not self._bearer_ok(h):
            return self._unauthorized()
        if params["namespace"] != self.namespace:
            return 403, {"errorCode": 20013, "errorMessage": "insufficient permissions"}
        return None

    def _do_entitlement(self, params, h, rec):
        bad = self._platform_check(params, h)
        if bad:
            return bad
        body = rec["json"]
        if (not isinstance(body, list) or not body
                or not all(isinstance(e, dict) and isinstance(e.get("itemId"), str)
                           and isinstance(e.get("quantity", 1), int) for e in body)):
            return 400, {"errorCode": 20002, "errorMessage": "validation error"}
        now = rfc3339(time.time())
        out = []
        for e in body:
            out.append({"id": uuid.uuid4().hex, "namespace": self.namespace,
                        "clazz": "ENTITLEMENT", "type": "DURABLE", "status": "ACTIVE",
                        "userId": params["user_id"], "itemId": e["itemId"],
                        "itemNamespace": e.get("itemNamespace", self.namespace),
                        "quantity": e.get("quantity", 1), "useCount": e.get("quantity", 1),
                        "source": e.get("source", "OTHER"), "grantedAt": now,
                        "createdAt": now, "updatedAt": now, "stackable": False})
        with self._lock:
            self._entitlements.extend(out)
        return 200, out

    def _do_wallet(self, params, h, rec):
        bad = self._platform_check(params, h)
        if bad:
            return bad
        body = rec["json"]
        amount = body.get("amount") if isinstance(body, dict) else None
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            return 400, {"errorCode": 20002, "errorMessage": "validation error"}
        key = (params["user_id"], params["currency"])
        now = rfc3339(time.time())
        with self._lock:
            self._wallets[key] = self._wallets.get(key, 0) + amount
            bal = self._wallets[key]
        return 200, {"id": uuid.uuid5(uuid.NAMESPACE_OID, "%s/%s" % key).hex,
                     "namespace": self.namespace, "userId": key[0], "currencyCode": key[1],
                     "currencySymbol": key[1], "balance": bal, "balanceOrigin": "System",
                     "status": "ACTIVE", "totalPermanentBalance": bal,
                     "totalTimeLimitedBalance": 0, "timeLimitedBalances": [],
                     "createdAt": now, "updatedAt": now}


def main(argv=None):
    import argparse
    import signal
    ap = argparse.ArgumentParser(description="fake AGS (IAM + Platform) for tests and demos")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", default=None, help="where the test PKI is written")
    ap.add_argument("--plain", action="store_true", help="plain HTTP instead of HTTPS")
    ap.add_argument("--cert", default="server", choices=("server", "wrong-host", "rogue"))
    ap.add_argument("--namespace", default="accelbyte")
    ap.add_argument("--client-id", default="fake-client")
    ap.add_argument("--client-secret", default="fake-secret")
    ap.add_argument("--token-ttl", type=int, default=3600)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    # Blocked before any thread starts so every thread inherits the mask
    # and the main thread alone takes the signal, in sigwait().
    sigs = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    fake = FakeAGS(a.namespace, a.client_id, a.client_secret, tls=not a.plain, cert=a.cert,
                   port=a.port, dir=a.dir, token_ttl=a.token_ttl, verbose=a.verbose)
    print(json.dumps({"url": fake.url, "ca_file": fake.ca_file, "port": fake.port,
                      "namespace": fake.namespace, "client_id": fake.client_id,
                      "client_secret": fake.client_secret}), flush=True)
    signal.sigwait(sigs)
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
