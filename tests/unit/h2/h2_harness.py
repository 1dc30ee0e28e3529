"""Shared by the h2 test scripts: start and stop h2_test_server, a tiny test
runner that ends with "N passed, M failed", and a raw HTTP/2 client that
writes frames byte by byte (for the abuse tests) and reads them back with
HPACK decoding. Every wait polls a condition against a deadline."""

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4

NO_ERROR, PROTOCOL_ERROR, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = 0, 1, 7, 8, 11


def skip_without(*modules):
    for m in modules:
        try:
            __import__(m)
        except ImportError:
            print(f"skipped: python module {m} is missing")
            sys.exit(77)


class Server:
    """h2_test_server on a free port, with key=value settings."""

    def __init__(self, binary, *settings):
        # stderr to a file: a pipe nobody reads could fill and stall it
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, "0", *settings], stdout=subprocess.PIPE,
                                     stderr=self.err)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.stderr()!r}")
        self.port = int(line.split()[2])

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM, then the exit status (and stderr) within timeout."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not exit after SIGTERM")
        err = self.stderr()
        if os.environ.get("H2_TEST_VERBOSE"):
            print(err)
        return self.proc.returncode, err


def run(tests):
    passed = failed = 0
    for t in tests:
        start = time.monotonic()
        try:
            t()
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - start:.2f}s)")
        sys.stdout.flush()
    return passed, failed


def finish(passed, failed):
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


# ---- raw frames -------------------------------------------------------------

def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def grpc_msg(payload, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(payload)) + payload


class Stream:
    def __init__(self):
        self.headers = None
        self.trailers = None
        self.data = b""
        self.rst = None
        self.ended = False

    def status(self):
        """grpc-status from the trailers (or a trailers-only answer)."""
        src = self.trailers if self.trailers is not None else self.headers
        return int(dict(src)["grpc-status"]) if src and "grpc-status" in dict(src) else None

    def messages(self):
        out, d = [], self.data
        while len(d) >= 5:
            n = struct.unpack(">I", d[1:5])[0]
            out.append(d[5:5 + n])
            d = d[5 + n:]
        return out


class RawConn:
    """A client that sends exactly the frames it is told to."""

    def __init__(self, port, preface=True):
        import hpack
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.inbuf = b""
        self.eof = False
        self.goaway = None          # (last_stream_id, error_code)
        self.server_settings = {}
        self.streams = {}
        self.frames = []            # (type, flags, sid) of everything read
        if preface:
            self.send(PREFACE + frame(SETTINGS, 0, 0))

    def close(self):
        self.sock.close()

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def request(self, sid, path, extra=(), end_stream=False, ctype="application/grpc", method="POST"):
        hdrs = [(":method", method), (":scheme", "http"), (":path", path), (":authority", "test"),
                ("content-type", ctype), ("te", "trailers")] + list(extra)
        flags = END_HEADERS | (END_STREAM if end_stream else 0)
        return frame(HEADERS, flags, sid, self.enc.encode(hdrs))

    def call(self, sid, path, payload, extra=()):
        body = grpc_msg(payload)
        chunks = [body[i:i + 16384] for i in range(0, len(body), 16384)]
        return self.request(sid, path, extra) + b"".join(
            frame(DATA, END_STREAM if i == len(chunks) - 1 else 0, sid, ch) for i, ch in enumerate(chunks))

    def stream(self, sid):
        return self.streams.setdefault(sid, Stream())

    def _read_some(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return False
        try:
            chunk = self.sock.recv(1 << 16)
        except (ConnectionResetError, socket.timeout):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.inbuf += chunk
        return True

    def _handle(self, ftype, flags, sid, payload):
        self.frames.append((ftype, flags, sid))
        if ftype == SETTINGS and not flags & ACK:
            for i in range(0, len(payload), 6):
                k, v = struct.unpack(">HI", payload[i:i + 6])
                self.server_settings[k] = v
            self.send(frame(SETTINGS, ACK, 0))
        elif ftype == GOAWAY:
            self.goaway = struct.unpack(">II", payload[:8])
        elif ftype == HEADERS:
            hdrs = self.dec.decode(payload)
            s = self.stream(sid)
            if s.headers is None:
                s.headers = hdrs
            else:
                s.trailers = hdrs
            if flags & END_STREAM:
                s.ended = True
        elif ftype == DATA:
            s = self.stream(sid)
            s.data += payload
            if flags & END_STREAM:
                s.ended = True
            if payload:
                # keep the windows open for big answers
                inc = struct.pack(">I", len(payload))
                self.send(frame(WINDOW_UPDATE, 0, 0, inc) + frame(WINDOW_UPDATE, 0, sid, inc))
        elif ftype == RST_STREAM:
            self.stream(sid).rst = struct.unpack(">I", payload)[0]

    def pump(self, timeout):
        """Reads and handles frames for up to timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            while len(self.inbuf) >= 9:
                n = struct.unpack(">I", b"\0" + self.inbuf[:3])[0]
                if len(self.inbuf) < 9 + n:
                    break
                hdr, payload = self.inbuf[:9], self.inbuf[9:9 + n]
                self.inbuf = self.inbuf[9 + n:]
                self._handle(hdr[3], hdr[4], struct.unpack(">I", hdr[5:9])[0] & 0x7fffffff, payload)
                return True
            left = deadline - time.monotonic()
            if left <= 0 or not self._read_some(left):
                return False

    def until(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0 or (not self.pump(left) and self.eof):
                if cond():
                    return
                raise AssertionError(f"timed out waiting for {what} (eof={self.eof}, goaway={self.goaway})")

    def finished(self, sid, timeout=5):
        s = self.stream(sid)
        self.until(lambda: s.ended or s.rst is not None, timeout, f"stream {sid} to end")
        return s

    def closed(self, timeout=5):
        """Waits for EOF; returns the GOAWAY error code seen (or None)."""
        self.until(lambda: self.eof, timeout, "the server to close the connection")
        return self.goaway[1] if self.goaway else None
