"""Server reflection end to end: a real gRPC client (grpcio generic
bidirectional calls, messages encoded here, descriptors checked with
python3-protobuf) against reflection_test_server, over v1 and v1alpha.
Does what `grpcurl list` and `grpcurl describe` do: list the services, fetch
the file of a symbol with its imports, build a descriptor pool from them.
Usage: test_reflection.py PATH/TO/reflection_test_server"""

import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

try:
    import grpc
    from google.protobuf import descriptor_pb2, descriptor_pool
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
SERVICES = [
    "accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService",
    "accelbyte.social.statistic.v1.StatisticStatItemUpdatedService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "service.Service",
]


# ---- the server ---------------------------------------------------------------

class Server:
    def __init__(self, binary):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, "0", "2"], stdout=subprocess.PIPE, stderr=self.err)
        line = self.proc.stdout.readline().decode()
        if not line and self.proc.wait() == 77:
            print("skipped: the runtime cannot start here (io_uring)")
            sys.exit(77)
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.stderr()!r}")
        self.port = int(line.split()[2])

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not exit after SIGTERM")
        return self.proc.returncode, self.stderr()


# ---- protobuf wire format, for the two reflection messages --------------------

def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def fields(data):
    """(number, value) pairs: int for varints, bytes for length-delimited."""
    i, out = 0, []
    while i < len(data):
        key, shift = 0, 0
        while True:
            b = data[i]
            i += 1
            key |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        num, wt = key >> 3, key & 7
        v, shift = 0, 0
        if wt == 0:
            while True:
                b = data[i]
                i += 1
                v |= (b & 0x7F) << shift
                shift += 7
                if b < 0x80:
                    break
            out.append((num, v))
        elif wt == 2:
            n = 0
            while True:
                b = data[i]
                i += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if b < 0x80:
                    break
            out.append((num, data[i:i + n]))
            i += n
        else:
            raise AssertionError(f"unexpected wire type {wt}")
    return out


def request(host="", **q):
    """A ServerReflectionRequest: file_by_filename=, file_containing_symbol=,
    file_containing_extension=(type, number), all_extension_numbers_of_type=,
    list_services=."""
    out = field_bytes(1, host.encode()) if host else b""
    for k, v in q.items():
        if k == "file_by_filename":
            out += field_bytes(3, v.encode())
        elif k == "file_containing_symbol":
            out += field_bytes(4, v.encode())
        elif k == "file_containing_extension":
            ext = field_bytes(1, v[0].encode()) + varint(2 << 3) + varint(v[1])
            out += field_bytes(5, ext)
        elif k == "all_extension_numbers_of_type":
            out += field_bytes(6, v.encode())
        elif k == "list_services":
            out += field_bytes(7, v.encode())
    return out


class Response:
    def __init__(self, data):
        self.valid_host, self.original_request = "", None
        self.files, self.services, self.error, self.ext = None, None, None, None
        for num, v in fields(data):
            if num == 1:
                self.valid_host = v.decode()
            elif num == 2:
                self.original_request = v
            elif num == 4:
                self.files = [fd for n, fd in fields(v) if n == 1]
            elif num == 5:
                f = fields(v)
                self.ext = ([x.decode() for n, x in f if n == 1][0],
                            [x for n, x in f if n == 2])
            elif num == 6:
                self.services = [dict(fields(s))[1].decode() for n, s in fields(v) if n == 1]
            elif num == 7:
                f = dict(fields(v))
                self.error = (f.get(1, 0), f.get(2, b"").decode())

    def descriptors(self):
        assert self.files is not None, self.error
        out = []
        for raw in self.files:
            fd = descriptor_pb2.FileDescriptorProto()
            fd.ParseFromString(raw)
            out.append(fd)
        return out


# ---- a reflection client, as grpcurl's --------------------------------------------

class Stream:
    """One ServerReflectionInfo call: ask() sends a request and waits for its
    answer; close() half-closes and returns the final status."""

    def __init__(self, chan, path):
        self.q = queue.Queue()
        self.call = chan.stream_stream(path)(iter(self.q.get, None), timeout=30)

    def ask(self, **q):
        self.q.put(request(**q))
        return Response(next(self.call))

    def close(self):
        self.q.put(None)
        rest = list(self.call)
        assert rest == [], rest
        return self.call.code()


def ask_once(chan, path, **q):
    s = Stream(chan, path)
    r = s.ask(**q)
    assert s.close() == grpc.StatusCode.OK
    return r


def pool_of(files):
    """A descriptor pool holding files, each added after its imports."""
    pool = descriptor_pool.DescriptorPool()
    added, todo = set(), list(files)
    while todo:
        ready = [f for f in todo if all(d in added for d in f.dependency)]
        assert ready, [f.name for f in todo]
        for f in ready:
            pool.Add(f)
            added.add(f.name)
            todo.remove(f)
    return pool


def describe_service(sd):
    """grpcurl describe's rendering of a service."""
    lines = [f"{sd.full_name} is a service:", f"service {sd.name} {{"]
    for m in sd.methods:
        lines.append(f"  rpc {m.name} ( .{m.input_type.full_name} ) returns ( .{m.output_type.full_name} );")
    lines.append("}")
    return "\n".join(lines)


# ---- tests ------------------------------------------------------------------------

def test_list_services():
    for path in (V1, V1ALPHA):
        r = ask_once(chan, path, host="localhost", list_services="*")
        assert r.services == SERVICES, r.services
        assert r.valid_host == "localhost"
        assert r.original_request == request(host="localhost", list_services="*")


def test_describe_challenge_service():
    for path in (V1, V1ALPHA):
        r = ask_once(chan, path, file_containing_symbol="service.Service")
        fds = r.descriptors()
        assert [f.name for f in fds] == ["service.proto"], [f.name for f in fds]
        fd = fds[0]
        assert fd.package == "service" and fd.syntax == "proto3"
        assert fd.options.go_package == "accelbyte.net/extend/challengeservice"
        assert fd.options.java_package == "net.accelbyte.extend.challengeservice"
        assert fd.options.csharp_namespace == "AccelByte.Extend.ChallengeService"
        assert fd.options.java_multiple_files
        sd = pool_of(fds).FindServiceByName("service.Service")
        got = [(m.name, m.input_type.name, m.output_type.name) for m in sd.methods]
        assert got == [
            ("GetUserChallenges", "GetChallengesRequest", "GetChallengesResponse"),
            ("InitializePlayer", "InitializeRequest", "InitializeResponse"),
            ("SetGoalActive", "SetGoalActiveRequest", "SetGoalActiveResponse"),
            ("ClaimGoalReward", "ClaimRewardRequest", "ClaimRewardResponse"),
            ("BatchSelectGoals", "BatchSelectRequest", "GoalSelectionResponse"),
            ("RandomSelectGoals", "RandomSelectRequest", "GoalSelectionResponse"),
            ("GetRotationStatus", "GetRotationStatusRequest", "GetRotationStatusResponse"),
            ("HealthCheck", "HealthCheckRequest", "HealthCheckResponse"),
        ], got
    print(describe_service(sd))


def test_describe_event_services():
    s = Stream(chan, V1)
    r = s.ask(file_containing_symbol="accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService")
    fds = r.descriptors()
    assert [f.name for f in fds] == ["accelbyte-asyncapi/iam/account/v1/account.proto",
                                     "google/protobuf/empty.proto"], [f.name for f in fds]
    pool = pool_of(fds)
    sd = pool.FindServiceByName("accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService")
    m = sd.methods_by_name["OnMessage"]
    assert m.input_type.full_name == "accelbyte.iam.account.v1.UserLoggedIn"
    assert m.output_type.full_name == "google.protobuf.Empty"
    print(describe_service(sd))
    login = [(f.number, f.name, f.json_name) for f in m.input_type.fields]
    assert login == [(1, "payload", "payload"), (2, "id", "id"), (3, "version", "version"),
                     (4, "name", "name"), (5, "namespace", "namespace"),
                     (6, "parent_namespace", "parentNamespace"), (7, "timestamp", "timestamp"),
                     (8, "client_id", "clientId"), (9, "user_id", "userId"),
                     (10, "trace_id", "traceId"), (11, "session_id", "sessionId")], login
    assert fds[0].options.go_package == "accelbyte.net/iam/account"

    # the same stream: empty.proto was sent already, struct.proto was not
    r = s.ask(file_containing_symbol="accelbyte.social.statistic.v1.StatisticStatItemUpdatedService")
    fds2 = r.descriptors()
    assert [f.name for f in fds2] == ["accelbyte-asyncapi/social/statistic/v1/statistic.proto",
                                      "google/protobuf/struct.proto"], [f.name for f in fds2]
    pool = pool_of(fds + fds2)
    sd = pool.FindServiceByName("accelbyte.social.statistic.v1.StatisticStatItemUpdatedService")
    m = sd.methods_by_name["OnMessage"]
    assert m.input_type.full_name == "accelbyte.social.statistic.v1.StatItemUpdated"
    assert m.output_type.full_name == "google.protobuf.Empty"
    assert "trace_id" not in m.input_type.fields_by_name
    item = pool.FindMessageTypeByName("accelbyte.social.statistic.v1.StatItem")
    ad = item.fields_by_name["additional_data"]
    assert ad.number == 6 and ad.message_type.full_name == "google.protobuf.Struct"
    assert ad.json_name == "additionalData"
    assert s.close() == grpc.StatusCode.OK

    # a new stream starts with nothing sent
    r = ask_once(chan, V1ALPHA, file_containing_symbol="accelbyte.social.statistic.v1.StatItem")
    assert [f.name for f in r.descriptors()] == [
        "accelbyte-asyncapi/social/statistic/v1/statistic.proto",
        "google/protobuf/empty.proto", "google/protobuf/struct.proto"]


def test_describe_symbols():
    # methods, messages, nested messages, fields, enums and their values
    cases = {
        "service.Service.ClaimGoalReward": "service.proto",
        "service.Goal": "service.proto",
        "service.Goal.expires_in_seconds": "service.proto",
        "google.protobuf.Struct.FieldsEntry": "google/protobuf/struct.proto",
        "grpc.health.v1.Health": "grpc/health/v1/health.proto",
        "grpc.health.v1.HealthCheckResponse.ServingStatus": "grpc/health/v1/health.proto",
        "grpc.health.v1.HealthCheckResponse.SERVING": "grpc/health/v1/health.proto",
        "grpc.reflection.v1alpha.ServerReflection": "grpc/reflection/v1alpha/reflection.proto",
        "grpc.reflection.v1.ServerReflectionResponse": "grpc/reflection/v1/reflection.proto",
    }
    s = Stream(chan, V1)
    for sym, name in cases.items():
        r = s.ask(file_containing_symbol=sym)
        assert r.descriptors()[0].name == name, (sym, r.files, r.error)
    assert s.close() == grpc.StatusCode.OK
    pool = pool_of(ask_once(chan, V1, file_containing_symbol="google.protobuf.Struct").descriptors())
    entry = pool.FindMessageTypeByName("google.protobuf.Struct.FieldsEntry")
    assert entry.GetOptions().map_entry


def test_every_file_is_valid():
    """Each file by name, all in one pool: what a client builds from them."""
    names = ["service.proto", "accelbyte-asyncapi/iam/account/v1/account.proto",
             "accelbyte-asyncapi/social/statistic/v1/statistic.proto",
             "grpc/health/v1/health.proto", "grpc/reflection/v1alpha/reflection.proto",
             "grpc/reflection/v1/reflection.proto", "google/protobuf/empty.proto",
             "google/protobuf/struct.proto"]
    s = Stream(chan, V1)
    files = []
    for n in names:
        fds = s.ask(file_by_filename=n).descriptors()
        assert fds[0].name == n
        files += fds
    assert s.close() == grpc.StatusCode.OK
    # imports go once per stream; the file asked for goes every time
    assert [f.name for f in files] == names[:2] + ["google/protobuf/empty.proto"] + names[2:3] + [
        "google/protobuf/struct.proto"] + names[3:], [f.name for f in files]
    pool = pool_of(list({f.name: f for f in files}.values()))
    for svc in SERVICES:
        pool.FindServiceByName(svc)
    health = pool.FindServiceByName("grpc.health.v1.Health")
    assert health.methods_by_name["Watch"].output_type.name == "HealthCheckResponse"
    rq = pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionRequest")
    assert [f.number for f in rq.oneofs_by_name["message_request"].fields] == [3, 4, 5, 6, 7]
    alpha = [f for f in files if f.name == "grpc/reflection/v1alpha/reflection.proto"][0]
    assert alpha.options.deprecated


def test_not_found_answers():
    s = Stream(chan, V1)
    for q in ({"file_containing_symbol": "service.Nope"}, {"file_containing_symbol": "service"},
              {"file_by_filename": "google/protobuf/descriptor.proto"},
              {"file_containing_extension": ("google.protobuf.MethodOptions", 72295728)},
              {"all_extension_numbers_of_type": "nope.Type"}):
        r = s.ask(**q)
        assert r.error == (5, "proto: not found"), (q, r.error)
        assert r.original_request == request(**q)
    # a known message without extensions has none
    r = s.ask(all_extension_numbers_of_type="service.Goal")
    assert r.ext == ("service.Goal", []), r.ext
    # the stream still works after errors
    assert s.ask(list_services="").services == SERVICES
    assert s.close() == grpc.StatusCode.OK


def test_request_without_question():
    for msg in (request(host="h"), b""):
        call = chan.stream_stream(V1)(iter([msg]), timeout=10)
        try:
            list(call)
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.code()
            assert e.details() == "invalid MessageRequest: <nil>", e.details()
        else:
            raise AssertionError("expected INVALID_ARGUMENT")
    call = chan.stream_stream(V1)(iter([b"\x22\x09ser"]), timeout=10)
    try:
        list(call)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INTERNAL, e.code()
    else:
        raise AssertionError("expected INTERNAL")


def test_empty_stream():
    call = chan.stream_stream(V1ALPHA)(iter([]), timeout=10)
    assert list(call) == []
    assert call.code() == grpc.StatusCode.OK


def test_cancelled_streams():
    """Streams the client abandons: the server forgets them and serves on."""
    for _ in range(100):
        s = Stream(chan, V1)
        assert s.ask(list_services="").services == SERVICES
        s.call.cancel()
    assert ask_once(chan, V1, list_services="").services == SERVICES


def test_many_streams_in_parallel():
    errors = []

    def worker():
        try:
            for _ in range(20):
                s = Stream(chan, V1ALPHA)
                assert len(s.ask(file_containing_symbol="accelbyte.social.statistic.v1.StatItem").files) == 3
                assert len(s.ask(file_containing_symbol="google.protobuf.Empty").files) == 1
                assert s.close() == grpc.StatusCode.OK
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_graceful_stop_ends_open_streams():
    s = Stream(chan, V1)
    assert s.ask(list_services="").services == SERVICES
    srv.proc.send_signal(signal.SIGTERM)
    rest = list(s.call)
    assert rest == [] and s.call.code() == grpc.StatusCode.OK, (rest, s.call.code())
    rc, err = srv.stop()
    assert rc == 0, (rc, err)


def main():
    passed = failed = 0
    for t in (test_list_services, test_describe_challenge_service, test_describe_event_services,
              test_describe_symbols, test_every_file_is_valid, test_not_found_answers,
              test_request_without_question, test_empty_stream, test_cancelled_streams,
              test_many_streams_in_parallel, test_graceful_stop_ends_open_streams):
        start = time.monotonic()
        try:
            t()
        except Exception:  # noqa: BLE001
            failed += 1
            print(f"FAIL {t.__name__}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {t.__name__} ({time.monotonic() - start:.2f}s)")
        sys.stdout.flush()
    return passed, failed


srv = Server(sys.argv[1])
chan = grpc.insecure_channel(f"127.0.0.1:{srv.port}")
grpc.channel_ready_future(chan).result(timeout=10)
passed, failed = main()
chan.close()
if srv.proc.poll() is None:
    rc, err = srv.stop()
    if rc != 0:
        print(f"FAIL server exit {rc}\n{err}")
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
