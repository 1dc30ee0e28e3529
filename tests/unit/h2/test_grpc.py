"""The h2 server against a real gRPC client (grpcio, generic calls with raw
bytes): unary, thousands of calls in flight on one channel, deadlines,
status and message round trip, server streaming, bidi, metadata, message
size limit, unknown methods, grpc.health.v1, and a graceful stop with calls
in flight. Usage: test_grpc.py PATH/TO/h2_test_server"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2_harness as H  # noqa: E402

H.skip_without("grpc")
import grpc  # noqa: E402

BIN = sys.argv[1]
srv = H.Server(BIN, "shards=2")
target = f"127.0.0.1:{srv.port}"
OPTS = [("grpc.max_receive_message_length", 16 << 20), ("grpc.max_send_message_length", 16 << 20),
        ("grpc.enable_retries", 0)]
chan = grpc.insecure_channel(target, options=OPTS)
grpc.channel_ready_future(chan).result(timeout=10)

unary = chan.unary_unary("/test.Echo/Unary")
slow = chan.unary_unary("/test.Echo/Slow")
fail = chan.unary_unary("/test.Echo/Fail")
info = chan.unary_unary("/test.Echo/Info")
stream = chan.unary_stream("/test.Echo/Stream")
bidi = chan.stream_stream("/test.Echo/Bidi")
check = chan.unary_unary("/grpc.health.v1.Health/Check")
watch = chan.unary_stream("/grpc.health.v1.Health/Watch")


def expect_error(fn, code, details=None):
    try:
        fn()
    except grpc.RpcError as e:
        assert e.code() == code, (e.code(), e.details())
        if details is not None:
            assert e.details() == details, (e.details(), details)
        return e
    raise AssertionError(f"expected {code}")


def test_unary_echo():
    for size in (0, 1, 100, 64 << 10, 1 << 20, (4 << 20) - 64):
        body = bytes((i * 7) & 0xff for i in range(size))
        assert unary(body, timeout=20) == body, size


def test_many_calls_in_flight():
    n = 2000
    futs = [unary.future(b"call-%d" % i, timeout=60) for i in range(n)]
    for i, f in enumerate(futs):
        assert f.result() == b"call-%d" % i


def test_many_slow_calls_in_flight():
    # all 600 are held by handlers at once on one connection
    futs = [slow.future(b"300", timeout=60) for _ in range(600)]
    assert all(f.result() == b"slow done" for f in futs)


def test_deadline_exceeded():
    start = time.monotonic()
    expect_error(lambda: slow(b"3000", timeout=0.3), grpc.StatusCode.DEADLINE_EXCEEDED)
    assert time.monotonic() - start < 2.5
    assert unary(b"after", timeout=5) == b"after"


def test_mixed_deadlines_on_one_connection():
    """Server-side deadlines (raw frames, so the client cannot decide):
    short ones expire, long ones let the answer through, in any order."""
    c = H.RawConn(srv.port)
    ids = list(range(1, 401, 2))
    short = {sid for k, sid in enumerate(ids) if k % 3 == 0}
    c.send(b"".join(c.call(sid, "/test.Echo/Slow", b"250",
                           extra=[("grpc-timeout", "30m" if sid in short else "%dS" % (5 + sid % 7))])
                    for sid in ids))
    for sid in ids:
        st = c.finished(sid, timeout=10)
        if sid in short:
            assert st.status() == 4 and st.messages() == [], (sid, st.headers, st.trailers)
        else:
            assert st.status() == 0 and st.messages() == [b"slow done"], (sid, st.trailers)
    c.close()


def test_error_status_and_message():
    msg = "bad 100% value\nsecond line: ünïcödé ✓ \t end"
    e = expect_error(lambda: fail(f"3 {msg}".encode(), timeout=5),
                     grpc.StatusCode.INVALID_ARGUMENT, msg)
    assert e.details() == msg
    expect_error(lambda: fail(b"16 who are you", timeout=5), grpc.StatusCode.UNAUTHENTICATED,
                 "who are you")
    expect_error(lambda: fail(b"13 ", timeout=5), grpc.StatusCode.INTERNAL)


def test_unknown_method_and_service():
    expect_error(lambda: chan.unary_unary("/test.Echo/Nope")(b"", timeout=5),
                 grpc.StatusCode.UNIMPLEMENTED, "unknown method Nope for service test.Echo")
    expect_error(lambda: chan.unary_unary("/foo.Bar/Baz")(b"", timeout=5),
                 grpc.StatusCode.UNIMPLEMENTED, "unknown service foo.Bar")


def test_server_streaming():
    got = list(stream(b"100 10", timeout=10))
    assert len(got) == 100
    assert all(m.startswith(b"%d:" % i) and len(m) == 10 for i, m in enumerate(got))
    big = list(stream(b"40 200000", timeout=30))
    assert len(big) == 40 and all(len(m) == 200000 for m in big)
    assert list(stream(b"0 0", timeout=5)) == []


def test_bidi():
    msgs = [b"m%d" % i * (i + 1) for i in range(50)]
    assert list(bidi(iter(msgs), timeout=10)) == msgs
    assert list(bidi(iter([]), timeout=5)) == []
    # the server ends the call while the client still sends
    assert list(bidi(iter([b"a", b"stop", b"b", b"c"]), timeout=5)) == [b"a"]
    # replies arrive while the client is still sending
    cond = threading.Condition()
    sent = []

    def gen():
        for i in range(5):
            with cond:
                cond.wait_for(lambda: len(sent) == i, timeout=5)
            yield b"step%d" % i

    for i, reply in enumerate(bidi(gen(), timeout=10)):
        assert reply == b"step%d" % i
        with cond:
            sent.append(reply)
            cond.notify_all()
    assert len(sent) == 5


def test_metadata_and_timeout():
    out = info(b"", timeout=5, metadata=[("x-test", "hello")]).decode()
    fields = dict(kv.split("=", 1) for kv in out.split(" "))
    assert fields["path"] == "/test.Echo/Info", out
    assert fields["x-test"] == "hello", out
    assert 3000 < int(fields["deadline_in"]) <= 5100, out
    out = info(b"").decode()
    assert "deadline_in=-1" in out, out


def test_message_too_large():
    expect_error(lambda: unary(b"x" * ((4 << 20) + 1), timeout=20),
                 grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert unary(b"still fine", timeout=5) == b"still fine"


def test_health_check():
    assert check(b"", timeout=5) == b"\x08\x01"          # SERVING
    assert check(b"\x0a\x00", timeout=5) == b"\x08\x01"  # service = ""
    expect_error(lambda: check(b"\x0a\x03foo", timeout=5), grpc.StatusCode.NOT_FOUND,
                 "unknown service")


def test_health_watch_cancel():
    for _ in range(20):
        call = watch(b"", timeout=10)
        assert next(call) == b"\x08\x01"
        call.cancel()
    call = watch(b"\x0a\x03foo", timeout=10)
    assert next(call) == b"\x08\x03"  # SERVICE_UNKNOWN
    call.cancel()
    assert unary(b"ok", timeout=5) == b"ok"


def test_graceful_stop():
    """Last: SIGTERM with calls in flight; they finish, Watch ends OK."""
    w = watch(b"", timeout=20)
    assert next(w) == b"\x08\x01"
    pending = [slow.future(b"700", timeout=20) for _ in range(20)]
    # streams are read in order: once this answer is back, the server
    # holds all of the slow calls
    assert unary(b"sync", timeout=5) == b"sync"
    srv.proc.send_signal(H.signal.SIGTERM)
    assert all(f.result() == b"slow done" for f in pending)
    rest = list(w)  # ends without error once the server stops
    assert rest == [], rest
    # (the handler of the deadline test's call still holds it until its
    # timer fires: the drain waits for it)
    rc, err = srv.stop()
    assert rc == 0, (rc, err)


passed, failed = H.run([
    test_unary_echo, test_many_calls_in_flight, test_many_slow_calls_in_flight,
    test_deadline_exceeded, test_mixed_deadlines_on_one_connection, test_error_status_and_message, test_unknown_method_and_service,
    test_server_streaming, test_bidi, test_metadata_and_timeout, test_message_too_large,
    test_health_check, test_health_watch_cancel, test_graceful_stop,
])
chan.close()
if srv.running():
    rc, err = srv.stop()
    if rc != 0:
        print(f"FAIL server exit {rc}\n{err}")
        failed += 1
H.finish(passed, failed)
