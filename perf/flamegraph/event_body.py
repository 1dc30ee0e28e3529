#!/usr/bin/python3
"""The request body of scripts/flamegraph's events scenario: one
accelbyte.social.statistic.v1.StatItemUpdated, protobuf-encoded by hand (a
few strings and a double) inside the 5-byte gRPC message prefix, for
`h2load -d`. `probe` sends it once with grpcio and exits 0 only when the call
answers OK, so the script can tell a missing gRPC listener from a slow one.

usage: event_body.py write FILE --user U --namespace NS --stat CODE --value V
       event_body.py probe HOST:PORT FILE
"""

import argparse
import struct
import sys

STAT_PATH = "/accelbyte.social.statistic.v1.StatisticStatItemUpdatedService/OnMessage"


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_double(num, v):
    return varint(num << 3 | 1) + struct.pack("<d", v)


def stat_item_updated(user, namespace, stat, value, event_id="flamegraph"):
    # StatItem: stat_code = 2, latest_value = 4; StatItemUpdated: payload = 1,
    # id = 2, namespace = 5, user_id = 9 (proto/accelbyte-asyncapi/social/...).
    payload = field_bytes(2, stat.encode()) + field_double(4, value)
    return (field_bytes(1, payload) + field_bytes(2, event_id.encode()) +
            field_bytes(5, namespace.encode()) + field_bytes(9, user.encode()))


def grpc_frame(msg):
    return b"\x00" + struct.pack(">I", len(msg)) + msg


def probe(target, path):
    import grpc   # python3-grpcio, only for /usr/bin/python3
    with open(path, "rb") as f:
        framed = f.read()
    msg = framed[5:]
    with grpc.insecure_channel(target) as ch:
        call = ch.unary_unary(STAT_PATH)   # no serializers: bytes in, bytes out
        try:
            call(msg, timeout=5)
        except grpc.RpcError as e:
            print(f"gRPC call to {target}{STAT_PATH} failed: {e.code().name} {e.details()}",
                  file=sys.stderr)
            return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("file")
    w.add_argument("--user", required=True)
    w.add_argument("--namespace", required=True)
    w.add_argument("--stat", required=True)
    w.add_argument("--value", type=float, required=True)
    p = sub.add_parser("probe")
    p.add_argument("target")
    p.add_argument("file")
    opts = ap.parse_args()
    if opts.cmd == "probe":
        return probe(opts.target, opts.file)
    with open(opts.file, "wb") as f:
        f.write(grpc_frame(stat_item_updated(opts.user, opts.namespace, opts.stat, opts.value)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
