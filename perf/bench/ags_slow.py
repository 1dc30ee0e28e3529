#!/usr/bin/python3
"""perf/bench-ags's driver: GET /v1/challenges on one shard, quiet and while
100 claims wait on a slow AGS Platform, measured in the same run.

The server (release build, --shards 1, REWARD_CLIENT_MODE=real, auth off)
runs on SERVE_CPUS; this process, its fake AGS (tests/ags/fake_ags.py over
TLS) and loadgen on LOAD_CPUS. The fake answers wallet credits after
--delay seconds. Each round takes, in turn:

  quiet  loadgen list, open loop at --rate, then closed loop (-c 64)
  busy   the same two runs while --claims client threads keep one claim
         each in flight, its grant parked in the fake's delay (the server
         runs with one claim transaction per claim thread)

and the report gives the median round of each: p50/p99 of the open-loop
runs, req/s of the closed-loop ones, and busy/quiet ratios. Every claim
must answer 200 (the delay is inside the claim's 10 s deadline) and every
list 200; anything else makes the run fail.

usage: ags_slow.py --bin BUILD/challenged --loadgen BUILD/perf/loadgen/loadgen
                   --pg-port PORT --work DIR --report FILE [options]
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "ags"))

from fake_ags import FakeAGS  # noqa: E402

NAMESPACE = "accelbyte"
BASE = "/challenge"
CHALLENGE, GOAL = "daily-quests", "login-today"   # a WALLET reward (GOLD 10)


def log(msg):
    print(f"bench-ags: {msg}", file=sys.stderr, flush=True)


def psql(port, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                    str(port), "-U", "postgres", "-d", "challenge_service", "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, proc, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{BASE}/healthz", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


class Claimers:
    """n threads, each keeping one claim in flight on its own users until
    stopped; the users' rows are seeded up front (see seed)."""

    def __init__(self, port, n, users_each, spread_s):
        self.port, self.n, self.users_each, self.spread_s = port, n, users_each, spread_s
        self.next_user = [0] * n
        self.stop_flag = threading.Event()
        self.threads = []
        self.lock = threading.Lock()
        self.statuses = {}
        self.latencies = []

    @staticmethod
    def user(i, k):
        return f"ags-bench-{i:03d}-{k:03d}"

    def seed(self, pg_port):
        psql(pg_port, "DELETE FROM user_goal_progress WHERE user_id LIKE 'ags-bench-%'")
        psql(pg_port, f"""
INSERT INTO user_goal_progress (user_id, goal_id, challenge_id, namespace, progress, status,
                                completed_at, is_active, assigned_at)
SELECT format('ags-bench-%s-%s', lpad(i::text, 3, '0'), lpad(k::text, 3, '0')),
       '{GOAL}', '{CHALLENGE}', '{NAMESPACE}', 1, 'completed', NOW(), true, NOW()
FROM generate_series(0, {self.n - 1}) i, generate_series(0, {self.users_each - 1}) k""")

    def _run(self, i):
        # Staggered starts spread the claims over the fake's delay, as
        # players' claims would be, instead of answering in bursts.
        if self.stop_flag.wait(i * self.spread_s / self.n):
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        path = f"{BASE}/v1/challenges/{CHALLENGE}/goals/{GOAL}/claim"
        while not self.stop_flag.is_set():
            k = self.next_user[i]
            if k >= self.users_each:
                status = "out of seeded users"
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                return
            self.next_user[i] = k + 1
            t0 = time.monotonic()
            try:
                conn.request("POST", path, body=b"{}",
                             headers={"x-mock-user-id": self.user(i, k),
                                      "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                status = r.status
            except OSError as e:
                status = repr(e)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                self.latencies.append(time.monotonic() - t0)
        conn.close()

    def start(self):
        self.stop_flag.clear()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(self.n)]
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(60)
        if any(t.is_alive() for t in self.threads):
            raise RuntimeError("claim threads did not finish")


def loadgen(args, http_port, open_loop):
    cmd = ["taskset", "-c", args.load_cpus, args.loadgen, "-q", "-s", "list",
           "-u", f"http://127.0.0.1:{http_port}{BASE}", "-d", str(args.seconds),
           "-w", str(args.warmup), "--users", str(args.users)]
    cmd += ["-c", "16", "-r", str(args.rate)] if open_loop else ["-c", "64"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    res = json.loads(out)
    res["command"] = " ".join(cmd[3:])
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--pg-port", type=int, required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rate", type=int, default=5000, help="open-loop list rate (req/s)")
    ap.add_argument("--users", type=int, default=1000, help="list users drawn by loadgen")
    ap.add_argument("--claims", type=int, default=100, help="claims kept in flight")
    ap.add_argument("--delay", type=float, default=5.0, help="the fake's wallet delay (s)")
    ap.add_argument("--spread", type=float, default=None,
                    help="claim threads start spread over this many seconds "
                         "(default: the delay; 0: all at once, answers in bursts)")
    ap.add_argument("--serve-cpus", default="0")
    ap.add_argument("--load-cpus", default="1")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    # Enough users for every busy phase: each thread claims one per delay.
    busy_s = 2 * (args.seconds + args.warmup) + 2 * args.delay + 10
    users_each = int(args.rounds * (busy_s / args.delay + 2)) + 5

    fake = FakeAGS(NAMESPACE, dir=os.path.join(args.work, "pki"))
    http_port = free_port()
    env = dict(os.environ,
               BASE_PATH=BASE, AB_NAMESPACE=NAMESPACE,
               CHALLENGE_CONFIG_PATH=os.path.join(REPO, "config", "challenges.json"),
               PLUGIN_GRPC_SERVER_AUTH_ENABLED="false", REWARD_CLIENT_MODE="real",
               AB_BASE_URL=fake.url, AB_CA_FILE=fake.ca_file,
               AB_CLIENT_ID=fake.client_id, AB_CLIENT_SECRET=fake.client_secret,
               LOG_LEVEL="warn", CHALLENGED_ACCESS_LOG="false",
               # One transaction connection per claim in flight: every
               # claim reaches the grant instead of queueing for the database.
               CHALLENGED_DB_TX_CONNS=str(args.claims),
               DB_HOST="127.0.0.1", DB_PORT=str(args.pg_port), DB_NAME="challenge_service",
               DB_USER="postgres", DB_PASSWORD="", DB_SSLMODE="disable")
    server_log = open(os.path.join(args.work, "server.log"), "w")
    server = subprocess.Popen(
        ["taskset", "-c", args.serve_cpus, args.bin, "--shards", "1",
         "--http-port", str(http_port), "--grpc-port", str(free_port()),
         "--metrics-port", str(free_port())],
        env=env, stdout=server_log, stderr=subprocess.STDOUT)
    try:
        if not wait_healthy(http_port, server, 60):
            raise RuntimeError(f"challenged did not become healthy (see {server_log.name})")
        spread = args.delay if args.spread is None else args.spread
        claimers = Claimers(http_port, args.claims, users_each, spread)
        claimers.seed(args.pg_port)
        fake.set_delay("wallet", args.delay)

        runs = {"quiet": {"open": [], "closed": []}, "busy": {"open": [], "closed": []}}
        for rnd in range(args.rounds):
            for phase in ("quiet", "busy"):
                if phase == "busy":
                    c0 = fake.count("wallet")
                    claimers.start()
                    deadline = time.monotonic() + args.delay + 30
                    while fake.count("wallet") - c0 < args.claims:
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"the claims never reached the fake AGS "
                                           f"(count {fake.count('wallet') - c0}, "
                                           f"answers {claimers.statuses})")
                        time.sleep(0.05)
                for loop in ("open", "closed"):
                    res = loadgen(args, http_port, loop == "open")
                    res["round"] = rnd + 1
                    runs[phase][loop].append(res)
                    log(f"round {rnd + 1} {phase} {loop}: {res['rps']:.0f} req/s, "
                        f"p50 {res['latency_ms']['p50']:.3f} ms, "
                        f"p99 {res['latency_ms']['p99']:.3f} ms, errors {res['errors']}")
                if phase == "busy":
                    claimers.stop()

        bad_lists = [r for p in runs.values() for rs in p.values() for r in rs
                     if r["errors"] or r["unsent"]]
        claim_ok = claimers.statuses.get(200, 0)
        claim_bad = {k: v for k, v in claimers.statuses.items() if k != 200}
        credited = sum(fake.wallet_balance(Claimers.user(i, k), "GOLD") // 10
                       for i in range(args.claims) for k in range(claimers.next_user[i]))

        def med(phase, loop, key):
            vals = [r["latency_ms"][key] if key != "rps" else r["rps"]
                    for r in runs[phase][loop]]
            return statistics.median(vals)

        rows = []
        for label, loop, key in (("open-loop p50 (ms)", "open", "p50"),
                                 ("open-loop p99 (ms)", "open", "p99"),
                                 ("open-loop max (ms)", "open", "max"),
                                 ("closed-loop req/s", "closed", "rps"),
                                 ("closed-loop p99 (ms)", "closed", "p99")):
            q, b = med("quiet", loop, key), med("busy", loop, key)
            rows.append((label, q, b, b / q if q else float("nan")))

        lat = sorted(claimers.latencies)
        lines = [
            f"bench-ags {time.strftime('%Y%m%d-%H%M%S', time.gmtime())} (UTC)",
            f"GET {BASE}/v1/challenges on one shard (core {args.serve_cpus}), quiet vs while "
            f"{args.claims} claims wait on a fake AGS answering wallet credits after "
            f"{args.delay:g} s, claims started over {spread:g} s "
            f"(REWARD_CLIENT_MODE=real over TLS, auth off, "
            f"CHALLENGED_DB_TX_CONNS={args.claims})",
            f"loadgen on core {args.load_cpus}: open loop {runs['quiet']['open'][0]['command']}",
            f"                 closed loop {runs['quiet']['closed'][0]['command']}",
            f"{args.rounds} rounds of quiet/busy, median round reported",
            "",
            f"{'':22} {'quiet':>10} {'busy':>10} {'busy/quiet':>11}",
        ]
        for label, q, b, ratio in rows:
            lines.append(f"{label:22} {q:10.3f} {b:10.3f} {ratio:11.2f}")
        lines += [
            "",
            f"claims: {claim_ok} answered 200 (median {statistics.median(lat):.2f} s, "
            f"max {lat[-1]:.2f} s), other answers {claim_bad or 'none'}; "
            f"{credited} wallet credits at the fake",
            f"list errors: {len(bad_lists)} runs with errors or unsent arrivals",
        ]
        text = "\n".join(lines) + "\n"
        with open(args.report, "w") as f:
            f.write(text)
            f.write("\nraw loadgen results:\n")
            f.write(json.dumps(runs, indent=1) + "\n")
        print(text, end="")
        if bad_lists or claim_bad or credited != claim_ok:
            log("FAILED: lists with errors, claims not answered 200, or credits that do not "
                "match the claims")
            return 1
        return 0
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
        fake.stop()


if __name__ == "__main__":
    sys.exit(main())
