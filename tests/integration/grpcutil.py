"""gRPC helpers for the integration tests: message classes built at run time
from the build's own FileDescriptorSet (proto/challenged.protoset beside
CHALLENGED_BIN, what src/reflection serves), generic unary and streaming
calls with Debian's python3-grpcio on bytes, the two Extend event messages,
and (code, message, decoded answer) results so tests compare statuses
without catching exceptions."""

import os

import grpc
from google.protobuf import descriptor_pb2, json_format, message_factory

import harness

LOGIN = "/accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService/OnMessage"
STAT = "/accelbyte.social.statistic.v1.StatisticStatItemUpdatedService/OnMessage"
SERVICE = "/service.Service/"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
REFLECTION_V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

# Answer messages of service.Service, by RPC.
SERVICE_RPCS = {
    "GetUserChallenges": ("service.GetChallengesRequest", "service.GetChallengesResponse"),
    "InitializePlayer": ("service.InitializeRequest", "service.InitializeResponse"),
    "SetGoalActive": ("service.SetGoalActiveRequest", "service.SetGoalActiveResponse"),
    "ClaimGoalReward": ("service.ClaimRewardRequest", "service.ClaimRewardResponse"),
    "BatchSelectGoals": ("service.BatchSelectRequest", "service.GoalSelectionResponse"),
    "RandomSelectGoals": ("service.RandomSelectRequest", "service.GoalSelectionResponse"),
    "GetRotationStatus": ("service.GetRotationStatusRequest",
                          "service.GetRotationStatusResponse"),
    "HealthCheck": ("service.HealthCheckRequest", "service.HealthCheckResponse"),
}

_files = None
_classes = None


def protoset_path():
    binary = os.environ.get("CHALLENGED_BIN", "")
    return os.path.join(os.path.dirname(os.path.abspath(binary)), "proto", "challenged.protoset")


def file_set():
    """The build's FileDescriptorSet (our protos and their imports)."""
    global _files
    if _files is None:
        path = protoset_path()
        if not os.path.exists(path):
            raise AssertionError(f"{path} is missing (built with the server: ninja -C BUILD "
                                 "proto/challenged.protoset)")
        fds = descriptor_pb2.FileDescriptorSet()
        with open(path, "rb") as f:
            fds.ParseFromString(f.read())
        _files = fds
    return _files


def message(full_name):
    """The message class of a full proto name, e.g. "service.Goal"."""
    global _classes
    if _classes is None:
        _classes = message_factory.GetMessages(list(file_set().file))
    return _classes[full_name]


def to_dict(msg):
    """A message as protobuf-JSON with every field present (zero values
    included, lowerCamelCase names): what the gateway's marshaler shows."""
    return json_format.MessageToDict(msg, including_default_value_fields=True)


# --- channels and calls ----------------------------------------------------------

def grpc_port(srv):
    return int(srv.env["GRPC_PORT"])


def channel(srv, **options):
    """A plaintext channel to srv's gRPC listener. options are channel
    arguments; a distinct "grpc.channel_id" gives a separate connection."""
    opts = [("grpc.enable_http_proxy", 0), ("grpc.enable_retries", 0)]
    opts += list(options.items())
    return grpc.insecure_channel(f"127.0.0.1:{grpc_port(srv)}", options=opts)


class Result:
    """The outcome of one call: a grpc.StatusCode, the status message and
    the answer bytes (None unless OK)."""

    def __init__(self, code, details, data=None):
        self.code = code
        self.details = details
        self.data = data

    def decode(self, full_name):
        m = message(full_name)()
        m.ParseFromString(self.data or b"")
        return m

    def __repr__(self):
        return f"<Result {self.code} {self.details!r} {len(self.data or b'')} bytes>"


def unary(ch, path, payload, timeout=10, metadata=None):
    """One unary call with raw bytes in and out; never raises RpcError."""
    if not isinstance(payload, (bytes, bytearray)):
        payload = payload.SerializeToString()
    fn = ch.unary_unary(path, request_serializer=None, response_deserializer=None)
    try:
        data = fn(bytes(payload), timeout=timeout * harness.SLOW, metadata=metadata)
        return Result(grpc.StatusCode.OK, "", data)
    except grpc.RpcError as e:
        return Result(e.code(), e.details())


def unary_future(ch, path, payload, timeout=10, metadata=None):
    """Starts a unary call; returns the future (see outcome())."""
    if not isinstance(payload, (bytes, bytearray)):
        payload = payload.SerializeToString()
    fn = ch.unary_unary(path, request_serializer=None, response_deserializer=None)
    return fn.future(bytes(payload), timeout=timeout * harness.SLOW, metadata=metadata)


def outcome(fut):
    """The Result of a finished (or finishing) future."""
    try:
        return Result(grpc.StatusCode.OK, "", fut.result())
    except grpc.RpcError as e:
        return Result(e.code(), e.details())


def service_call(ch, rpc, timeout=10, metadata=None, **fields):
    """A service.Service RPC with request fields; the Result decodes its
    answer with decode_answer()."""
    req_name, resp_name = SERVICE_RPCS[rpc]
    r = unary(ch, SERVICE + rpc, message(req_name)(**fields), timeout, metadata)
    r.answer = r.decode(resp_name) if r.code == grpc.StatusCode.OK else None
    return r


def mock_user(user):
    return (("x-mock-user-id", user),)


# --- the Extend event messages (events.md §2.2) ------------------------------------

def login_event(user, namespace="accelbyte", **extra):
    return message("accelbyte.iam.account.v1.UserLoggedIn")(user_id=user, namespace=namespace,
                                                             **extra)


def stat_event(user, code, value=0.0, inc=0.0, namespace="accelbyte", payload=True, **extra):
    """A StatItemUpdated; payload=False leaves the payload out."""
    cls = message("accelbyte.social.statistic.v1.StatItemUpdated")
    m = cls(user_id=user, namespace=namespace, **extra)
    if payload:
        m.payload.stat_code = code
        m.payload.latest_value = value
        m.payload.inc = inc
        m.payload.user_id = user
        m.payload.namespace = namespace
    return m


def login(ch, user, namespace="accelbyte", timeout=10, **extra):
    return unary(ch, LOGIN, login_event(user, namespace, **extra), timeout)


def stat(ch, user, code, value=0.0, inc=0.0, namespace="accelbyte", timeout=10, **kw):
    return unary(ch, STAT, stat_event(user, code, value, inc, namespace, **kw), timeout)
