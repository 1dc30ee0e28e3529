"""The h2 server against hand-written HTTP/2 frames: protocol details a gRPC
client never shows (trailers-only answers, percent-encoding on the wire,
grpc-timeout, cardinality, compressed flag, content-type, garbage preface)
and the abuse limits (concurrent streams, rapid reset, CONTINUATION and
header floods, PING / SETTINGS / empty DATA floods, oversize messages, idle
connections, the connection limit), then GOAWAY on stop.
Usage: test_raw.py PATH/TO/h2_test_server"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2_harness as H  # noqa: E402
from h2_harness import frame, grpc_msg, RawConn  # noqa: E402

H.skip_without("hpack")

BIN = sys.argv[1]
LIMITS = ["shards=1", "max_streams=10", "max_msg=65536", "max_hdr=8192", "max_resets=100",
          "max_ctrl=100", "idle_ms=600", "max_conns=6"]
srv = H.Server(BIN, *LIMITS)
PORT = srv.port


def conn():
    c = RawConn(PORT)
    c.until(lambda: H.SETTINGS in [f[0] for f in c.frames], 5, "server SETTINGS")
    return c


def hdr(stream, name):
    src = (stream.trailers or []) + (stream.headers or [])
    return dict(src).get(name)


def still_serving():
    c = conn()
    c.send(c.call(1, "/test.Echo/Unary", b"alive"))
    s = c.finished(1)
    assert s.status() == 0 and s.messages() == [b"alive"], (s.headers, s.trailers)
    c.close()


def test_unary_and_settings():
    c = conn()
    st = c.server_settings
    assert st.get(3) == 10, st            # MAX_CONCURRENT_STREAMS
    assert st.get(6) == 8192, st          # MAX_HEADER_LIST_SIZE
    c.send(c.call(1, "/test.Echo/Unary", b"raw hello"))
    s = c.finished(1)
    assert dict(s.headers)[":status"] == "200"
    assert dict(s.headers)["content-type"] == "application/grpc"
    assert s.messages() == [b"raw hello"] and s.status() == 0
    assert s.trailers is not None and s.rst is None
    c.close()


def test_percent_encoded_message():
    c = conn()
    c.send(c.call(1, "/test.Echo/Fail", "3 a%b\nc ü~".encode()))
    s = c.finished(1)
    # no message: one trailers-only HEADERS frame
    assert s.trailers is None and s.data == b""
    assert hdr(s, "grpc-status") == "3"
    assert hdr(s, "grpc-message") == "a%25b%0Ac %C3%BC~", hdr(s, "grpc-message")
    c.close()


def test_grpc_timeout():
    c = conn()
    start = time.monotonic()
    c.send(c.call(1, "/test.Echo/Slow", b"3000", extra=[("grpc-timeout", "200m")]))
    s = c.finished(1, timeout=3)
    assert s.status() == 4, s.headers    # DEADLINE_EXCEEDED, from the server
    assert time.monotonic() - start < 1.5
    c.send(c.call(3, "/test.Echo/Info", b"", extra=[("grpc-timeout", "2S")]))
    s = c.finished(3)
    out = s.messages()[0].decode()
    assert 1500 < int(out.split("deadline_in=")[1].split()[0]) <= 2000, out
    c.send(c.call(5, "/test.Echo/Info", b"", extra=[("grpc-timeout", "12x")]))
    assert c.finished(5).status() == 13
    c.send(c.call(7, "/test.Echo/Unary", b"", extra=[("grpc-timeout", "100000000S")]))
    assert c.finished(7).status() == 13   # more than 8 digits
    c.close()


def test_unary_cardinality():
    c = conn()
    # two messages for a unary method: INTERNAL, handler never runs
    c.send(c.request(1, "/test.Echo/Unary") + frame(H.DATA, H.END_STREAM, 1, grpc_msg(b"a") + grpc_msg(b"b")))
    s = c.finished(1)
    assert s.status() == 13 and s.data == b"", (s.headers, s.trailers)
    # the second message later, to a handler that is still busy
    c.send(c.request(3, "/test.Echo/Slow") + frame(H.DATA, 0, 3, grpc_msg(b"300")))
    c.send(frame(H.DATA, H.END_STREAM, 3, grpc_msg(b"300")))
    s = c.finished(3)
    assert s.status() == 13, (s.headers, s.trailers)
    # no message at all
    c.send(c.request(5, "/test.Echo/Unary", end_stream=True))
    assert c.finished(5).status() == 13
    # message cut short by END_STREAM
    c.send(c.request(7, "/test.Echo/Unary") + frame(H.DATA, H.END_STREAM, 7, grpc_msg(b"abcdef")[:7]))
    assert c.finished(7).status() == 13
    c.close()


def test_compressed_flag():
    c = conn()
    c.send(c.request(1, "/test.Echo/Unary", extra=[("grpc-encoding", "gzip")])
           + frame(H.DATA, H.END_STREAM, 1, grpc_msg(b"\x1f\x8b", compressed=True)))
    s = c.finished(1)
    assert s.status() == 12, (s.headers, s.trailers)   # UNIMPLEMENTED
    c.close()


def test_content_type_and_method():
    c = conn()
    c.send(c.request(1, "/test.Echo/Unary", ctype="application/json") + frame(H.DATA, H.END_STREAM, 1, b"{}"))
    s = c.finished(1)
    assert dict(s.headers)[":status"] == "415", s.headers
    c.send(c.request(3, "/test.Echo/Unary", method="PUT") + frame(H.DATA, H.END_STREAM, 3, grpc_msg(b"")))
    s = c.finished(3)
    assert dict(s.headers)[":status"] == "405", s.headers
    c.send(c.call(5, "/test.Echo/Unary", b"ok", extra=[]))
    assert c.finished(5).status() == 0
    c.close()


def test_answer_before_client_ends():
    """An error before END_STREAM: trailers, then RST_STREAM NO_ERROR."""
    c = conn()
    c.send(c.request(1, "/nope.Svc/M") + frame(H.DATA, 0, 1, grpc_msg(b"x")))
    s = c.finished(1)
    assert s.status() == 12
    c.until(lambda: s.rst is not None, 3, "RST_STREAM")
    assert s.rst == H.NO_ERROR
    c.close()


def test_oversize_message():
    c = conn()
    # the prefix announces 64 KiB + 1: refused before the bytes come
    c.send(c.request(1, "/test.Echo/Unary") + frame(H.DATA, 0, 1, b"\0" + struct.pack(">I", 65537) + b"x" * 100))
    s = c.finished(1)
    assert s.status() == 8, (s.headers, s.trailers)    # RESOURCE_EXHAUSTED
    assert "larger than max" in hdr(s, "grpc-message")
    c.send(c.call(3, "/test.Echo/Unary", b"y" * 65536))
    s = c.finished(3)
    assert s.status() == 0 and s.messages() == [b"y" * 65536]
    c.close()


def test_max_concurrent_streams():
    c = conn()
    ids = list(range(1, 21, 2))          # 10 streams: the limit
    c.send(b"".join(c.call(i, "/test.Echo/Slow", b"600") for i in ids))
    c.send(c.call(21, "/test.Echo/Unary", b"one too many"))
    s = c.finished(21)
    assert s.rst == H.REFUSED_STREAM, (s.rst, s.headers)
    for i in ids:
        s = c.finished(i)
        assert s.status() == 0 and s.messages() == [b"slow done"]
    assert c.goaway is None and not c.eof
    c.send(c.call(23, "/test.Echo/Unary", b"again"))
    assert c.finished(23).messages() == [b"again"]
    c.close()


def test_rapid_reset():
    c = conn()
    burst = b"".join(c.request(i, "/test.Echo/Slow") + frame(H.RST_STREAM, 0, i, struct.pack(">I", H.CANCEL))
                     for i in range(1, 601, 2))
    c.send(burst)
    assert c.closed() == H.ENHANCE_YOUR_CALM, c.goaway
    still_serving()


def test_continuation_flood():
    rss = srv.rss_kib()
    c = conn()
    block = c.enc.encode([(":method", "POST"), (":scheme", "http"), (":path", "/test.Echo/Unary"),
                          (":authority", "t")])
    c.send(frame(H.HEADERS, 0, 1, block))
    junk = b"\x00\x05x-pad\x7f\xe9\x06" + b"a" * 1000   # literal, not indexed
    for _ in range(2000):
        if not c.send(frame(H.CONTINUATION, 0, 1, junk)):
            break
    assert c.closed() == H.ENHANCE_YOUR_CALM, c.goaway
    assert srv.rss_kib() - rss < 32 << 10, (rss, srv.rss_kib())
    # many tiny CONTINUATION frames: the frame count is capped too
    c = conn()
    c.send(frame(H.HEADERS, 0, 1, block) + b"".join(frame(H.CONTINUATION, 0, 1, b"") for _ in range(50)))
    assert c.closed() == H.ENHANCE_YOUR_CALM, c.goaway
    still_serving()


def test_continuation_flood_ignored_block():
    """A header block nghttp2 ignores (stream 1 is closed) still ends."""
    c = conn()
    c.send(c.call(1, "/test.Echo/Unary", b"x"))
    c.finished(1)
    c.send(frame(H.HEADERS, 0, 1, c.enc.encode([(":method", "POST")]))
           + b"".join(frame(H.CONTINUATION, 0, 1, b"\x00\x01a\x01b") for _ in range(200)))
    assert c.closed() == H.ENHANCE_YOUR_CALM, c.goaway
    still_serving()


def test_unfinished_header_block_times_out():
    c = conn()
    c.send(frame(H.HEADERS, 0, 1, c.enc.encode([(":method", "POST"), (":scheme", "http")])))
    start = time.monotonic()
    assert c.closed(timeout=5) == H.NO_ERROR, c.goaway
    assert time.monotonic() - start < 3


def test_header_list_too_large():
    c = conn()
    hdrs = [(":method", "POST"), (":scheme", "http"), (":path", "/test.Echo/Unary"), (":authority", "t"),
            ("x-big", "b" * 9000)]
    block = c.enc.encode(hdrs)
    c.send(frame(H.HEADERS, 0, 1, block[:8000]) + frame(H.CONTINUATION, H.END_HEADERS, 1, block[8000:]))
    assert c.closed() == H.ENHANCE_YOUR_CALM, c.goaway
    still_serving()


def flood(make, what):
    c = conn()
    c.send(b"".join(make(i) for i in range(400)))
    assert c.closed() == H.ENHANCE_YOUR_CALM, (what, c.goaway)


def test_ping_flood():
    flood(lambda i: frame(H.PING, 0, 0, struct.pack(">Q", i)), "PING")
    still_serving()


def test_settings_flood():
    flood(lambda i: frame(H.SETTINGS, 0, 0), "SETTINGS")
    still_serving()


def test_empty_data_flood():
    c = conn()
    c.send(c.request(1, "/test.Echo/Unary"))
    c.send(b"".join(frame(H.DATA, 0, 1) for _ in range(400)))
    assert c.closed() == H.ENHANCE_YOUR_CALM, c.goaway
    still_serving()


def test_idle_connection_closed():
    c = conn()
    start = time.monotonic()
    code = c.closed(timeout=5)
    took = time.monotonic() - start
    assert code == H.NO_ERROR, c.goaway
    assert 0.4 < took < 3, took
    # a call in progress keeps the connection open past the idle time
    c = conn()
    c.send(c.call(1, "/test.Echo/Slow", b"1000"))
    assert c.finished(1, timeout=3).status() == 0
    assert not c.eof
    c.close()


def test_garbage_preface():
    c = RawConn(PORT, preface=False)
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"z" * 100)
    c.closed()
    still_serving()


def conn_when_room(timeout=5):
    """A connection the server accepts, polling while connections closed
    just before are still being counted out."""
    deadline = time.monotonic() + timeout
    while True:
        c = RawConn(PORT)
        c.until(lambda: c.frames or c.eof, 5, "an answer")
        if c.frames:
            return c
        c.close()
        assert time.monotonic() < deadline, "closed connections were never counted out"


def test_max_conns():
    held = [conn_when_room() for _ in range(6)]
    extra = RawConn(PORT)
    extra.until(lambda: extra.eof, 5, "the connection over the limit to be closed")
    assert not extra.frames, extra.frames
    for c in held:
        c.close()
    conn_when_room().close()
    still_serving()


def test_stop_sends_goaway():
    """Last: SIGTERM with a call in flight."""
    c = conn()
    c.send(c.call(1, "/test.Echo/Slow", b"500"))
    c.send(c.call(3, "/test.Echo/Unary", b"sync"))
    c.finished(3)
    srv.proc.send_signal(H.signal.SIGTERM)
    c.until(lambda: c.goaway is not None, 5, "GOAWAY")
    assert c.goaway == (3, H.NO_ERROR), c.goaway
    s = c.finished(1)
    assert s.status() == 0 and s.messages() == [b"slow done"]
    assert c.closed() == H.NO_ERROR
    rc, err = srv.stop()
    assert rc == 0, (rc, err)


passed, failed = H.run([
    test_unary_and_settings, test_percent_encoded_message, test_grpc_timeout, test_unary_cardinality,
    test_compressed_flag, test_content_type_and_method, test_answer_before_client_ends,
    test_oversize_message, test_max_concurrent_streams, test_rapid_reset, test_continuation_flood,
    test_continuation_flood_ignored_block, test_unfinished_header_block_times_out, test_header_list_too_large, test_ping_flood, test_settings_flood, test_empty_data_flood,
    test_idle_connection_closed, test_garbage_preface, test_max_conns, test_stop_sends_goaway,
])
if srv.running():
    rc, err = srv.stop()
    if rc != 0:
        print(f"FAIL server exit {rc}\n{err}")
        failed += 1
H.finish(passed, failed)
