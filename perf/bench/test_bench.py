#!/usr/bin/python3
"""Checks of scripts/bench's helpers that need no server, Postgres or
gnuplot: the 500-goal config obeys the loader's rules (spec config.md §1.3),
the ceiling's statements carry distinct keys, and the report turns a
synthetic run into every key latest.json promises.

usage: python3 perf/bench/test_bench.py [-v]
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_config   # noqa: E402
import pg_ceiling   # noqa: E402
import report       # noqa: E402


class GenConfigTest(unittest.TestCase):
    def goals(self, cfg):
        return [g for ch in cfg["challenges"] for g in ch["goals"]]

    def test_shape_and_loader_rules(self):
        cfg = gen_config.build(10, 50, 500)
        self.assertEqual(len(cfg["challenges"]), 10)
        goals = self.goals(cfg)
        self.assertEqual(len(goals), 500)
        ids = [g["goalId"] for g in goals]
        self.assertEqual(len(set(ids)), 500)
        self.assertEqual(len({c["challengeId"] for c in cfg["challenges"]}), 10)
        for ch in cfg["challenges"]:
            self.assertTrue(ch["name"])
        for g in goals:
            self.assertTrue(g["name"])
            self.assertNotIn(":", g["goalId"])
            self.assertIn(g["eventSource"], ("login", "statistic"))
            req = g["requirement"]
            self.assertTrue(req["statCode"])
            self.assertEqual(req["operator"], ">=")
            self.assertIsInstance(req["targetValue"], int)
            self.assertGreater(req["targetValue"], 0)
            self.assertIn(req["progressMode"], ("absolute", "relative"))
            self.assertIn(g["reward"]["type"], ("ITEM", "WALLET"))
            self.assertTrue(g["reward"]["rewardId"])
            self.assertGreater(g["reward"]["quantity"], 0)
            for p in g["prerequisites"]:
                self.assertIn(p, ids)
            rot = g.get("rotation")
            if rot and rot["enabled"]:
                self.assertEqual(rot["type"], "global")
                self.assertIn(rot["schedule"], ("daily", "weekly", "monthly"))
                self.assertEqual(req["progressMode"], "relative")
        self.assertTrue(all(g["defaultAssigned"] for g in goals))

    def test_events_find_goals(self):
        # loadgen's events send these codes: each must be tracked somewhere.
        codes = {g["requirement"]["statCode"] for g in self.goals(gen_config.build(10, 50, 500))}
        for code in ("enemy_kills", "games_played", "headshots", "wins", "login_count"):
            self.assertIn(code, codes)

    def test_default_assigned_count(self):
        for n in (0, 1, 137, 300, 499, 500, 900):
            goals = self.goals(gen_config.build(10, 50, n))
            self.assertEqual(sum(g["defaultAssigned"] for g in goals), min(n, 500))


class CeilingTest(unittest.TestCase):
    def test_batch_literals(self):
        sql = pg_ceiling.batch_sql(range(20, 30), 7)
        self.assertTrue(sql.startswith("EXECUTE up('{"))
        self.assertEqual(sql.count("'{"), 4)
        self.assertIn('"ceil-0000002"', sql)
        self.assertIn('"goal-000"', sql)

    def test_keys_distinct_in_a_statement(self):
        # One statement must not touch a key twice ("cannot affect row a
        # second time"): user and goal together identify k.
        keys = list(range(0, 2000, 3))
        sql = pg_ceiling.batch_sql(keys, 0)
        users = sql.split("'{")[1].split("}'")[0].split(",")
        goals = sql.split("'{")[2].split("}'")[0].split(",")
        self.assertEqual(len(set(zip(users, goals))), len(keys))


LOADGEN = {"scenario": "list", "requests": 1000, "ok": 1000, "errors": 0, "rps": 1000.0,
           "wall_s": 10.0, "latency_ms": {"p50": 1.0, "p90": 2.0, "p99": 3.0, "p999": 4.0,
                                          "max": 5.0, "mean": 1.2, "min": 0.1}}
H2LOAD = """finished in 10.00s, 120000.50 req/s, 13.53MB/s
requests: 1200005 total, 1200005 started, 1200005 done, 1200005 succeeded, 0 failed, 0 errored, 0 timeout
time for request:      261us     10.62ms      3.61ms      1.21ms    70.00%
"""


class ReportTest(unittest.TestCase):
    def raw_dir(self, rounds=1):
        d = tempfile.mkdtemp()
        for name, _ in report.RUNS:
            for r in range(1, rounds + 1):
                base = os.path.join(d, "%s.r%d" % (name, r) if rounds > 1 else name)
                with open(base + ".out", "w") as f:
                    if name == "h2load_nginx":
                        f.write(H2LOAD)
                    else:
                        f.write(json.dumps(dict(LOADGEN, rps=1000.0 * r)))
                with open(base + ".cpu", "w") as f:
                    json.dump({"window_s": 8.0, "who": "server", "cpu_s": 4.0, "pg_cpu_s": 6.0,
                               "load_cpu_s": 1.6, "other_cpu_s": 0.0, "cmd": "x"}, f)
                with open(base + ".err", "w") as f:
                    f.write("[   1.0s warm-up] sent 1  done 0  ok 0  errors 0  |  0 req/s  |"
                            "  p99 0.000 ms  |  backlog max 0\n"
                            "[   2.0s] sent 9  done 9  ok 9  errors 0  |  900 req/s  |"
                            "  p99 1.000 ms  |  backlog max 0\n")
        with open(os.path.join(d, "pg_ceiling.out"), "w") as f:
            json.dump({"rows_per_statement": 1000, "statements": 10, "working_set_rows": 5000,
                       "indexes": 6, "insert": {"rows_per_s": 100000.0},
                       "upsert": {"rows_per_s": 150000.0}, "update": {"rows_per_s": 140000.0}}, f)
        for mode in ("durable", "buffered"):
            with open(os.path.join(d, "events_%s.rows" % mode), "w") as f:
                json.dump({"n_tup_upd_before": 100, "n_tup_upd_after": 100 + 30000 * rounds}, f)
        with open(os.path.join(d, "initialize_first.users"), "w") as f:
            json.dump({"distinct_users": 40, "rows": 20000}, f)
        report.write_meta(os.path.join(d, "meta.json"), [
            "mode=quick", "nproc=2", "kernel=Linux 6", "date=2026-01-01T00:00:00Z",
            "server_cores=1", "server_cpus=0", "pg_cpus=1", "load_cpus=1", "rounds=%d" % rounds,
            "events_conns=4", "events_streams=125", "mixed_rps=300", "mixed_eps=500",
            "list_body_bytes=10627", "warmup_s=2", "seconds=8", "users=2000"])
        return d

    def test_parsers(self):
        h = report.parse_h2load(H2LOAD)
        self.assertEqual(h["rps"], 120000.5)
        self.assertEqual(h["errors"], 0)
        self.assertEqual(h["request_time"]["mean"], "3.61ms")
        d = self.raw_dir()
        self.assertEqual(report.parse_progress(os.path.join(d, "rest_list.err")), [(2.0, 900)])
        self.assertIn("req/s", report.summary(os.path.join(d, "h2load_nginx.out")))
        self.assertIn("upsert", report.summary(os.path.join(d, "pg_ceiling.out")))

    def test_latest_json_keys(self):
        res, runs, meta = report.build(self.raw_dir())
        need = {"rest_list": ("rps", "p50_ms", "p99_ms"), "nginx_same_body": ("rps",),
                "initialize_500": ("rps", "rps_per_core"),
                "events_durable": ("eps", "p50_ms", "p99_ms"), "events_buffered": ("eps", "p99_ms"),
                "h2load_nginx": ("rps",), "pg_upsert_ceiling": ("rows_per_s",),
                "event_flush": ("rows_per_s",), "mixed_reference": ("cpu_pct_of_core",),
                "machine": ("nproc", "kernel", "date")}
        for key, fields in need.items():
            self.assertIsInstance(res[key], dict, key)
            for f in fields:
                self.assertIsNotNone(res[key][f], "%s.%s" % (key, f))
        self.assertEqual(res["event_flush"]["rows_per_s"], 3000.0)
        self.assertEqual(res["ratios"]["flush_vs_pg_ceiling"], 0.02)
        self.assertEqual(res["mixed_reference"]["cpu_pct_of_core"], 50.0)
        self.assertEqual(res["initialize_500"]["rps_per_server_cpu"], 2000.0)
        self.assertEqual(res["initialize_500"]["rows"], 20000)
        self.assertFalse(res["targets"]["mixed reference <= 5% of one core"])
        text = report.markdown(res, runs, meta, {})
        self.assertIn("| GET /v1/challenges (req/s) | 1 000 |", text)
        self.assertIn("caps it at ~200/s", text)
        self.assertIn("CPU 1 ran full", text)
        json.dumps(res)

    def test_median_round(self):
        res, runs, _ = report.build(self.raw_dir(rounds=3))
        self.assertEqual(res["rest_list"]["rps"], 2000.0)
        self.assertEqual(res["rest_list"]["rounds_rps"], [1000.0, 2000.0, 3000.0])
        # Rows over the three rounds' wall time (3 x 10 s).
        self.assertEqual(res["event_flush"]["rows_per_s"], 3000.0)


if __name__ == "__main__":
    unittest.main()
