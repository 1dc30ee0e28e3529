"""The rest of the real server's gRPC listener (spec api.md §4.1, events.md
§2.1): grpc.health.v1.Health (Check and Watch SERVING, no credentials even
with auth on), server reflection v1 and v1alpha (the services this listener
registers, service.Service described with the build's own descriptors),
unknown services and methods answered UNIMPLEMENTED with grpc-go's texts,
and --role events serving the event services without service.Service."""

import os
import socket
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2

import grpcutil as g
import harness
from harness import Server, SharedServer
from tokens import Issuer, write_jwks

Code = grpc.StatusCode
SERVING, SERVICE_UNKNOWN = 1, 3
EVENT_SERVICES = ["accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService",
                  "accelbyte.social.statistic.v1.StatisticStatItemUpdatedService"]
ALWAYS = ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection"]
ALL_SERVICES = sorted(EVENT_SERVICES + ALWAYS + ["service.Service"])


def health_check(ch, service="", metadata=None):
    req = g.message("grpc.health.v1.HealthCheckRequest")(service=service)
    r = g.unary(ch, g.HEALTH_CHECK, req, metadata=metadata)
    r.answer = r.decode("grpc.health.v1.HealthCheckResponse") if r.code == Code.OK else None
    return r


def reflect(ch, path, requests, metadata=None, timeout=10):
    """One reflection stream: sends every request (dicts of
    ServerReflectionRequest fields), half-closes, returns the decoded
    answers and the stream's final status."""
    pkg = "grpc.reflection.v1" if ".v1." in path else "grpc.reflection.v1alpha"
    req_cls = g.message(pkg + ".ServerReflectionRequest")
    resp_cls = g.message(pkg + ".ServerReflectionResponse")
    fn = ch.stream_stream(path, request_serializer=None, response_deserializer=None)
    call = fn(iter([req_cls(**r).SerializeToString() for r in requests]),
              timeout=timeout * harness.SLOW, metadata=metadata)
    out = []
    try:
        for data in call:
            m = resp_cls()
            m.ParseFromString(data)
            out.append(m)
    except grpc.RpcError as e:
        return out, e.code()
    return out, call.code()


def listed(resp):
    return sorted(s.name for s in resp.list_services_response.service)


class GrpcMiscChecks:

    def setUp(self):
        self.ch = g.channel(self.server())
        self.addCleanup(self.ch.close)


class HealthReflectionTests(GrpcMiscChecks, SharedServer, unittest.TestCase):

    def test_health_check_serving(self):
        r = health_check(self.ch)
        self.assertEqual(r.code, Code.OK, r)
        self.assertEqual(r.answer.status, SERVING)
        # only the overall service is registered (grpc-go's answer otherwise)
        r = health_check(self.ch, "service.Service")
        self.assertEqual((r.code, r.details), (Code.NOT_FOUND, "unknown service"))

    def test_health_watch_serving(self):
        req = g.message("grpc.health.v1.HealthCheckRequest")()
        fn = self.ch.unary_stream(g.HEALTH_WATCH, request_serializer=None,
                                  response_deserializer=None)
        call = fn(req.SerializeToString(), timeout=30 * harness.SLOW)
        first = g.message("grpc.health.v1.HealthCheckResponse")()
        first.ParseFromString(next(call))
        self.assertEqual(first.status, SERVING)
        call.cancel()
        self.assertEqual(call.code(), Code.CANCELLED)
        # a name the server does not know: SERVICE_UNKNOWN, stream stays open
        req = g.message("grpc.health.v1.HealthCheckRequest")(service="nope")
        call = fn(req.SerializeToString(), timeout=30 * harness.SLOW)
        first.ParseFromString(next(call))
        self.assertEqual(first.status, SERVICE_UNKNOWN)
        call.cancel()

    def test_reflection_lists_the_services(self):
        for path in (g.REFLECTION_V1, g.REFLECTION_V1ALPHA):
            with self.subTest(path=path):
                out, code = reflect(self.ch, path, [{"list_services": ""}])
                self.assertEqual(code, Code.OK)
                self.assertEqual(len(out), 1)
                self.assertEqual(listed(out[0]), ALL_SERVICES)

    def test_reflection_describes_service_service(self):
        built = {f.name: f for f in g.file_set().file}
        for path in (g.REFLECTION_V1, g.REFLECTION_V1ALPHA):
            with self.subTest(path=path):
                out, code = reflect(self.ch, path, [
                    {"file_containing_symbol": "service.Service"},
                    {"file_containing_symbol": "accelbyte.social.statistic.v1.StatItemUpdated"},
                    {"file_containing_symbol": "no.such.Symbol"},
                ])
                self.assertEqual(code, Code.OK)
                self.assertEqual(len(out), 3)
                files = {}
                for raw in out[0].file_descriptor_response.file_descriptor_proto:
                    f = descriptor_pb2.FileDescriptorProto()
                    f.ParseFromString(raw)
                    files[f.name] = f
                svc_file = files["service.proto"]
                self.assertEqual(svc_file, built["service.proto"], "the build's own descriptor")
                (svc,) = [s for s in svc_file.service if s.name == "Service"]
                methods = {m.name: (m.input_type, m.output_type) for m in svc.method}
                self.assertEqual(methods, {rpc: ("." + a, "." + b)
                                           for rpc, (a, b) in g.SERVICE_RPCS.items()})
                stat_files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                              for raw in out[1].file_descriptor_response.file_descriptor_proto]
                stat = [f for f in stat_files if f.package == "accelbyte.social.statistic.v1"][0]
                msg = [m for m in stat.message_type if m.name == "StatItemUpdated"][0]
                self.assertEqual({f.name: f.number for f in msg.field}["user_id"], 9)
                self.assertEqual(out[2].error_response.error_code, Code.NOT_FOUND.value[0])

    def test_unknown_services_and_methods(self):
        cases = [
            # registered by neither the reference nor us (events.md §2.1)
            ("/accelbyte.iam.oauth.v1.OauthTokenOauthTokenGeneratedService/OnMessage",
             "unknown service accelbyte.iam.oauth.v1.OauthTokenOauthTokenGeneratedService"),
            ("/accelbyte.social.statistic.v1.StatisticStatItemCreatedService/OnMessage",
             "unknown service accelbyte.social.statistic.v1.StatisticStatItemCreatedService"),
            ("/service.Service/GetChallenge", "unknown method GetChallenge for service service.Service"),
            ("/accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService/OnMessages",
             "unknown method OnMessages for service "
             "accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService"),
        ]
        for path, msg in cases:
            with self.subTest(path=path):
                r = g.unary(self.ch, path, b"")
                self.assertEqual((r.code, r.details), (Code.UNIMPLEMENTED, msg))


_issuer = None


class OpenWithAuthTests(GrpcMiscChecks, SharedServer, unittest.TestCase):
    """Health and reflection need no token when auth is on (api.md §4.1;
    v1 reflection open too: docs/DECISIONS.md)."""

    @classmethod
    def prepare(cls):
        global _issuer
        _issuer = _issuer or Issuer("it-misc-kid")
        path = os.path.join(harness.tmp_dir(), "misc-jwks.json")
        write_jwks(path, _issuer)
        env = {"PLUGIN_GRPC_SERVER_AUTH_ENABLED": "true", "AUTH_JWKS_FILE": path}
        return env, {"headers": {"Authorization": "Bearer " + _issuer.token("probe")}}

    def test_health_without_credentials(self):
        r = health_check(self.ch)
        self.assertEqual((r.code, r.answer.status), (Code.OK, SERVING))
        # ... and a bad one does not matter either
        r = health_check(self.ch, metadata=(("authorization", "Bearer garbage"),))
        self.assertEqual((r.code, r.answer.status), (Code.OK, SERVING))
        # while service.Service's own HealthCheck wants a token
        r = g.service_call(self.ch, "HealthCheck")
        self.assertEqual((r.code, r.details),
                         (Code.UNAUTHENTICATED, "authorization metadata is missing"))

    def test_reflection_without_credentials(self):
        for path in (g.REFLECTION_V1ALPHA, g.REFLECTION_V1):
            with self.subTest(path=path):
                out, code = reflect(self.ch, path, [{"list_services": ""}])
                self.assertEqual(code, Code.OK)
                self.assertEqual(listed(out[0]), ALL_SERVICES)


class EventsRoleTests(unittest.TestCase):

    def test_role_events_serves_no_service_service(self):
        # --role events has no REST listener: readiness is gRPC health
        srv = Server(args=("--role", "events"), name="role-events")
        self.addCleanup(srv.kill)
        srv.spawn()
        # wait for the port first: a channel that met a refused connect
        # waits out grpcio's reconnect backoff
        deadline = time.monotonic() + 30 * harness.SLOW
        while True:
            self.assertTrue(srv.alive(), srv.log_tail())
            try:
                socket.create_connection(("127.0.0.1", g.grpc_port(srv)), timeout=1).close()
                break
            except OSError:
                self.assertLess(time.monotonic(), deadline, "the gRPC port never opened")
                time.sleep(0.05)
        ch = g.channel(srv)
        self.addCleanup(ch.close)
        r = health_check(ch)
        self.assertEqual(r.code, Code.OK, r)
        self.assertEqual(r.answer.status, SERVING)
        out, code = reflect(ch, g.REFLECTION_V1, [{"list_services": ""}])
        self.assertEqual(listed(out[0]), sorted(EVENT_SERVICES + ALWAYS))
        r = g.service_call(ch, "HealthCheck")
        self.assertEqual((r.code, r.details), (Code.UNIMPLEMENTED, "unknown service service.Service"))
        u = harness.user_id("role")
        harness.seed_rows([dict(user_id=u, goal_id="challenge-001-goal-01")])
        self.assertEqual(g.login(ch, u).code, Code.OK)
        self.assertEqual(harness.fetch_rows(u)["challenge-001-goal-01"]["progress"], "1")
        ch.close()
        srv.stop()


if __name__ == "__main__":
    unittest.main()
