#!/usr/bin/python3
"""The reporting half of scripts/bench: turns one run's raw outputs (loadgen
JSON summaries and progress lines, h2load's text, /proc CPU samples,
n_tup_upd deltas, the Postgres ceiling) into latest.json, a markdown report
and gnuplot PNG plots (throughput against the peers, latency percentiles,
per-second rates, CPU), and prints the side-by-side table. Standard library
only; gnuplot draws.

usage: report.py RAW_DIR OUT_DIR --stamp STAMP [--work DIR]
       report.py --summary FILE          (one line about one raw output)
       report.py --meta FILE KEY=VALUE...  (the run's facts, as JSON)
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

REFERENCE_INIT_PER_CPU = 150.0   # PLATFORM.md: the reference, 500 goals
REFERENCE_MIXED_CORES = 1.2      # 300 RPS + 500 EPS saturate ~1.2 cores

# Runs in plot order: (name, label).
RUNS = [
    ("rest_list", "GET list"),
    ("rest_list_cached", "GET list, user cache"),
    ("nginx_same_body", "nginx same body"),
    ("events_durable", "events durable"),
    ("events_buffered", "events buffered"),
    ("h2load_nginx", "h2load -> nginx h2c"),
    ("initialize_first", "initialize 500, first login"),
    ("initialize_returning", "initialize 500, returning"),
    ("mixed_list", "mixed: list 300/s"),
    ("mixed_events", "mixed: events 500/s"),
]
LABELS = dict(RUNS)
# The mixed run's CPU window covers both of its loads.
CPU_LABELS = dict(LABELS, mixed_list="mixed: 300 list/s + 500 ev/s")
# One colour per run, the same in every plot.
COLOURS = dict(zip((n for n, _ in RUNS), (
    "#e41a1c", "#ff7f00", "#999999", "#377eb8", "#4daf4a", "#000000", "#984ea3",
    "#a65628", "#f781bf", "#17becf")))


# ---- raw outputs -------------------------------------------------------------------

def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def parse_h2load(text):
    """h2load's summary as loadgen-like fields (rps, requests, errors)."""
    out = {"tool": "h2load"}
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", text)
    if m:
        out["rps"] = float(m.group(3))
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
    if m:
        out["requests"] = int(m.group(4))
        out["errors"] = int(m.group(5)) + int(m.group(6)) + int(m.group(7))
    m = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", text)
    if m:
        out["request_time"] = dict(zip(("min", "max", "mean", "sd"), m.groups()))
    return out


def parse_out(path):
    """A load generator's stdout: loadgen's JSON, or h2load's text."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return parse_h2load(text)


def parse_progress(path):
    """loadgen's per-second lines: [   3.0s warm-up] ... |  34725 req/s  | ..."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"\[\s*([\d.]+)s( warm-up)?\].*\|\s+(\d+) req/s", line)
                if m and not m.group(2):   # warm-up lines carry no counts
                    out.append((float(m.group(1)), int(m.group(3))))
    except OSError:
        pass
    return out


class Round:
    """One run of a load generator: its summary, CPU sample and progress."""

    def __init__(self, base):
        self.lg = parse_out(base + ".out")
        self.cpu = load_json(base + ".cpu", {}) or {}
        self.progress = parse_progress(base + ".err")


class Run:
    """A benchmark's rounds; figures are the median round's (by rate)."""

    def __init__(self, raw, name):
        bases = sorted(p[:-4] for p in glob.glob(os.path.join(raw, name + ".r*.out")))
        if not bases and os.path.exists(os.path.join(raw, name + ".out")):
            bases = [os.path.join(raw, name)]
        self.rounds = [Round(b) for b in bases]
        ranked = sorted((r for r in self.rounds if r.lg.get("rps") is not None),
                        key=lambda r: r.lg["rps"])
        self.pick = ranked[(len(ranked) - 1) // 2] if ranked else Round(os.path.join(raw, name))

    @property
    def ok(self):
        return bool(self.pick.lg)

    @property
    def lg(self):
        return self.pick.lg

    @property
    def progress(self):
        return self.pick.progress

    @property
    def cpu(self):
        return self.pick.cpu

    def rps(self):
        return self.lg.get("rps")

    def all_rps(self):
        return [round(r.lg["rps"], 1) for r in self.rounds if r.lg.get("rps") is not None]

    def lat(self, p):
        return (self.lg.get("latency_ms") or {}).get(p)

    def cpu_pct(self, key="cpu_s"):
        w = self.cpu.get("window_s")
        c = self.cpu.get(key)
        return round(100.0 * c / w, 1) if w and c is not None else None

    def errors(self):
        return sum(r.lg.get("errors") or 0 for r in self.rounds) if self.rounds else None

    def wall_total(self):
        return sum(r.lg.get("wall_s") or 0 for r in self.rounds)

    def answered_estimate(self):
        """Answers over the rounds' whole wall time, warm-up included (the
        summary counts only the measured window): its rate times the wall."""
        return sum((r.lg.get("rps") or 0) * (r.lg.get("wall_s") or 0) for r in self.rounds)


# ---- figures -----------------------------------------------------------------------

def r1(v):
    return None if v is None else round(v, 1)


def r3(v):
    return None if v is None else round(v, 3)


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def lat_obj(run):
    return {"p50_ms": r3(run.lat("p50")), "p90_ms": r3(run.lat("p90")),
            "p99_ms": r3(run.lat("p99")), "p999_ms": r3(run.lat("p999")),
            "max_ms": r3(run.lat("max"))}


def cpu_obj(run, who="server"):
    return {who + "_cpu_pct": run.cpu_pct(), "pg_cpu_pct": run.cpu_pct("pg_cpu_s"),
            "load_cpu_pct": run.cpu_pct("load_cpu_s"),
            "other_cpu_pct": run.cpu_pct("other_cpu_s")}


def build(raw):
    meta = load_json(os.path.join(raw, "meta.json"), {}) or {}
    runs = {name: Run(raw, name) for name, _ in RUNS}
    cores = meta.get("server_cores") or 1
    in_flight = (meta.get("events_conns") or 0) * (meta.get("events_streams") or 0)
    res = {}

    def basic(name, rate_key="rps", who="server", **extra):
        run = runs[name]
        d = {rate_key: r1(run.rps())}
        d.update(lat_obj(run))
        d["errors"] = run.errors()
        d.update(cpu_obj(run, who))
        if len(run.rounds) > 1:
            d["rounds_" + rate_key] = run.all_rps()
        d.update(extra)
        return d

    res["rest_list"] = basic("rest_list", body_bytes=meta.get("list_body_bytes"),
                             connections=meta.get("list_conns"))
    res["rest_list_cached"] = basic("rest_list_cached", env="CHALLENGED_USER_CACHE_ENTRIES",
                                    connections=meta.get("list_conns"))
    res["nginx_same_body"] = basic("nginx_same_body", who="nginx",
                                   body_bytes=meta.get("list_body_bytes"),
                                   connections=meta.get("list_conns"))
    h2 = runs["h2load_nginx"]
    res["h2load_nginx"] = dict(rps=r1(h2.rps()), errors=h2.errors(), in_flight=in_flight,
                               request_time=h2.lg.get("request_time"),
                               nginx_cpu_pct=h2.cpu_pct(), cmd=h2.cpu.get("cmd"))
    if len(h2.rounds) > 1:
        res["h2load_nginx"]["rounds_rps"] = h2.all_rps()

    ceil = load_json(os.path.join(raw, "pg_ceiling.out"), {}) or {}
    ceil_cpu = load_json(os.path.join(raw, "pg_ceiling.cpu"), {}) or {}
    upsert = (ceil.get("upsert") or {}).get("rows_per_s")
    res["pg_upsert_ceiling"] = dict(
        rows_per_s=upsert,
        insert_rows_per_s=(ceil.get("insert") or {}).get("rows_per_s"),
        update_from_rows_per_s=(ceil.get("update") or {}).get("rows_per_s"),
        rows_per_statement=ceil.get("rows_per_statement"),
        statements_per_pass=ceil.get("statements"), working_set_rows=ceil.get("working_set_rows"),
        indexes=ceil.get("indexes"), pg_cpu_s=ceil_cpu.get("pg_cpu_s"),
        method="psql alone, one commit per statement, into CREATE TABLE (LIKE "
               "user_goal_progress INCLUDING ALL): rows_per_s = INSERT ... SELECT FROM "
               "unnest(...) ON CONFLICT DO UPDATE on existing keys spread over the working "
               "set; insert_rows_per_s = the same on new keys; update_from_rows_per_s = "
               "UPDATE ... FROM unnest(...) (the flush's form)")

    flush = {}
    for mode in ("durable", "buffered"):
        ev = runs["events_" + mode]
        rows = load_json(os.path.join(raw, "events_%s.rows" % mode), {}) or {}
        changed = rows["n_tup_upd_after"] - rows["n_tup_upd_before"] if rows else None
        wall = ev.wall_total()
        flush[mode] = dict(rows_updated=changed, seconds=r3(wall),
                           rows_per_s=r1(changed / wall) if changed is not None and wall else None)
        res["events_" + mode] = basic(
            "events_" + mode, rate_key="eps", in_flight=in_flight, rows_updated=changed,
            rows_per_event=round(changed / ev.answered_estimate(), 3)
            if changed is not None and ev.answered_estimate() else None)
    res["event_flush"] = dict(
        rows_per_s=flush["durable"]["rows_per_s"],
        buffered_rows_per_s=flush["buffered"]["rows_per_s"],
        rows_updated=flush["durable"]["rows_updated"], seconds=flush["durable"]["seconds"],
        source="pg_stat_user_tables.n_tup_upd of user_goal_progress: its change over the "
               "durable events runs (warm-up included), read after the server's sessions "
               "ended, divided by those runs' wall time; /metrics has no flush-rows counter")

    first, ret = runs["initialize_first"], runs["initialize_returning"]
    users = load_json(os.path.join(raw, "initialize_first.users"), {}) or {}

    def per_cpu(run):
        pct = run.cpu_pct()
        return r1(run.rps() / (pct / 100.0)) if run.rps() and pct else None

    def per_core(run):
        return r1(run.rps() / cores) if run.rps() else None

    res["initialize_500"] = basic(
        "initialize_first", rps_per_core=per_core(first), rps_per_server_cpu=per_cpu(first),
        distinct_users=users.get("distinct_users"), rows=users.get("rows"),
        response_bytes=meta.get("init_body_bytes"), server_cores=cores,
        reference_rps_per_cpu=REFERENCE_INIT_PER_CPU,
        ratio_to_reference=ratio(per_core(first), REFERENCE_INIT_PER_CPU),
        returning=basic("initialize_returning", rps_per_core=per_core(ret),
                        rps_per_server_cpu=per_cpu(ret), users=meta.get("returning_users"),
                        ratio_to_reference=ratio(per_core(ret), REFERENCE_INIT_PER_CPU)))

    ml, me = runs["mixed_list"], runs["mixed_events"]
    res["mixed_reference"] = dict(
        cpu_pct_of_core=ml.cpu_pct(), pg_cpu_pct=ml.cpu_pct("pg_cpu_s"),
        other_cpu_pct=ml.cpu_pct("other_cpu_s"), seconds=meta.get("mixed_seconds"),
        target_pct=5.0, reference_cores=REFERENCE_MIXED_CORES,
        list=dict(rate=meta.get("mixed_rps"), rps=r1(ml.rps()), errors=ml.errors(), **lat_obj(ml)),
        events=dict(rate=meta.get("mixed_eps"), eps=r1(me.rps()), errors=me.errors(),
                    **lat_obj(me)))

    ini = res["initialize_500"]
    res["ratios"] = dict(
        list_vs_nginx=ratio(res["rest_list"]["rps"], res["nginx_same_body"]["rps"]),
        list_cached_vs_nginx=ratio(res["rest_list_cached"]["rps"], res["nginx_same_body"]["rps"]),
        events_durable_vs_h2load=ratio(res["events_durable"]["eps"], res["h2load_nginx"]["rps"]),
        events_buffered_vs_h2load=ratio(res["events_buffered"]["eps"], res["h2load_nginx"]["rps"]),
        flush_vs_pg_ceiling=ratio(res["event_flush"]["rows_per_s"], upsert),
        initialize_vs_reference=ini["ratio_to_reference"],
        initialize_returning_vs_reference=ini["returning"]["ratio_to_reference"],
        mixed_cpu_vs_reference=ratio(ml.cpu_pct(), REFERENCE_MIXED_CORES * 100))
    rt = res["ratios"]

    def at_least(v, t):
        return None if v is None else v >= t

    res["targets"] = {
        "list >= 0.6 x nginx": at_least(rt["list_vs_nginx"], 0.6),
        "events durable >= 100k/s at 500 in flight": at_least(res["events_durable"]["eps"], 100000),
        "events durable >= 0.5 x h2load->nginx": at_least(rt["events_durable_vs_h2load"], 0.5),
        "event flush >= 0.8 x Postgres upsert ceiling": at_least(rt["flush_vs_pg_ceiling"], 0.8),
        "initialize (500 goals) >= 100 x reference per CPU": at_least(rt["initialize_vs_reference"], 100),
        "mixed reference <= 5% of one core": None if ml.cpu_pct() is None else ml.cpu_pct() <= 5.0,
    }
    res["machine"] = dict(nproc=meta.get("nproc"), kernel=meta.get("kernel"), date=meta.get("date"),
                          cpu_model=meta.get("cpu_model"), pinning=meta.get("pinning"))
    res["run"] = {k: meta.get(k) for k in (
        "mode", "commit", "stamp", "rounds", "warmup_s", "seconds", "users", "active_rows",
        "elapsed_s", "server_env")}
    errors = {name: run.errors() for name, run in runs.items() if run.errors()}
    res["run"]["errors"] = errors
    return res, runs, meta


# ---- tables ------------------------------------------------------------------------

def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, float) and abs(v) < 100:
        return "%.2f%s" % (v, unit)
    return "{:,.0f}{}".format(v, unit).replace(",", " ")


def pct(v):
    return "n/a" if v is None else "%.1f %%" % v


HEAD = ("benchmark", "ours", "peer", "ratio", "target", "p50", "p99", "server CPU")


def table_rows(res):
    rl, rc, ng = res["rest_list"], res["rest_list_cached"], res["nginx_same_body"]
    ed, eb, fl, h2 = res["events_durable"], res["events_buffered"], res["event_flush"], res["h2load_nginx"]
    ce, ini, mx = res["pg_upsert_ceiling"], res["initialize_500"], res["mixed_reference"]
    rt = res["ratios"]
    ms = lambda v: fmt(v, " ms")
    return [
        ("GET /v1/challenges (req/s)", fmt(rl["rps"]), "nginx same body " + fmt(ng["rps"]),
         fmt(rt["list_vs_nginx"]), ">= 0.6", ms(rl["p50_ms"]), ms(rl["p99_ms"]),
         pct(rl["server_cpu_pct"])),
        ("GET /v1/challenges, user cache (req/s)", fmt(rc["rps"]), "nginx same body " + fmt(ng["rps"]),
         fmt(rt["list_cached_vs_nginx"]), "(extra)", ms(rc["p50_ms"]), ms(rc["p99_ms"]),
         pct(rc["server_cpu_pct"])),
        ("events, durable acks (ev/s)", fmt(ed["eps"]), "h2load->nginx h2c " + fmt(h2["rps"]),
         fmt(rt["events_durable_vs_h2load"]), ">= 0.5; >= 100k/s", ms(ed["p50_ms"]),
         ms(ed["p99_ms"]), pct(ed["server_cpu_pct"])),
        ("events, buffered acks (ev/s)", fmt(eb["eps"]), "h2load->nginx h2c " + fmt(h2["rps"]),
         fmt(rt["events_buffered_vs_h2load"]), "", ms(eb["p50_ms"]), ms(eb["p99_ms"]),
         pct(eb["server_cpu_pct"])),
        ("event flush, durable (rows/s)", fmt(fl["rows_per_s"]),
         "Postgres unnest upsert " + fmt(ce["rows_per_s"]), fmt(rt["flush_vs_pg_ceiling"]),
         ">= 0.8", "", "", ""),
        ("initialize 500 goals, first login (req/s/core)", fmt(ini["rps_per_core"]),
         "reference %.0f/CPU" % REFERENCE_INIT_PER_CPU, fmt(rt["initialize_vs_reference"]),
         ">= 100", ms(ini["p50_ms"]), ms(ini["p99_ms"]), pct(ini["server_cpu_pct"])),
        ("initialize 500 goals, returning (req/s/core)", fmt(ini["returning"]["rps_per_core"]),
         "reference %.0f/CPU" % REFERENCE_INIT_PER_CPU,
         fmt(rt["initialize_returning_vs_reference"]), ">= 100", ms(ini["returning"]["p50_ms"]),
         ms(ini["returning"]["p99_ms"]), pct(ini["returning"]["server_cpu_pct"])),
        ("mixed 300 list/s + 500 ev/s (server CPU)", pct(mx["cpu_pct_of_core"]),
         "reference ~%.0f %%" % (REFERENCE_MIXED_CORES * 100), fmt(rt["mixed_cpu_vs_reference"]),
         "<= 5 %", "%s / %s" % (ms(mx["list"]["p50_ms"]), ms(mx["events"]["p50_ms"])),
         "%s / %s" % (ms(mx["list"]["p99_ms"]), ms(mx["events"]["p99_ms"])),
         pct(mx["cpu_pct_of_core"])),
    ]


def text_table(res):
    rows = [HEAD] + table_rows(res)
    w = [max(len(r[i]) for r in rows) for i in range(len(HEAD))]
    return "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def cpu_table(runs):
    rows = []
    for name, _ in RUNS:
        run = runs[name]
        if not run.cpu:
            continue
        rows.append((CPU_LABELS[name], pct(run.cpu_pct()), pct(run.cpu_pct("pg_cpu_s")),
                     pct(run.cpu_pct("load_cpu_s")), pct(run.cpu_pct("other_cpu_s"))))
    return md_table(("run", "server (nginx for its runs)", "Postgres", "load generator",
                     "other processes"), rows)


# ---- plots -------------------------------------------------------------------------

def gp_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plots(res, runs, work, out_dir, stamp):
    """Writes the data files and one gnuplot script, runs it; returns
    {kind: png file name} for the plots drawn."""
    if not shutil.which("gnuplot"):
        print("report: gnuplot missing, no plots (scripts/setup installs gnuplot-nox)",
              file=sys.stderr)
        return {}
    d = os.path.join(work, "plot")
    os.makedirs(d, exist_ok=True)
    names = {k: "bench-%s-%s.png" % (stamp, k) for k in ("throughput", "latency", "timeline", "cpu")}
    dat = lambda n: gp_quote(os.path.join(d, n))
    out = lambda k: gp_quote(os.path.join(out_dir, names[k]))

    lat_runs = [n for n, _ in RUNS if runs[n].ok and runs[n].lat("p50") is not None]
    with open(os.path.join(d, "latency.dat"), "w") as f:
        f.write("pct " + " ".join(gp_quote(LABELS[n]) for n in lat_runs) + "\n")
        for label, key in (("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p99.9", "p999"),
                           ("max", "max")):
            f.write(label + " " + " ".join("%.4f" % max(runs[n].lat(key) or 0, 0.001)
                                           for n in lat_runs) + "\n")

    rl, ng, h2 = res["rest_list"], res["nginx_same_body"], res["h2load_nginx"]
    ini = res["initialize_500"]
    tp = [("list req/s", rl["rps"], ng["rps"]),
          ("list, cache req/s", res["rest_list_cached"]["rps"], ng["rps"]),
          ("events durable ev/s", res["events_durable"]["eps"], h2["rps"]),
          ("events buffered ev/s", res["events_buffered"]["eps"], h2["rps"]),
          ("event flush rows/s", res["event_flush"]["rows_per_s"],
           res["pg_upsert_ceiling"]["rows_per_s"]),
          ("init first req/s/core", ini["rps_per_core"], REFERENCE_INIT_PER_CPU),
          ("init returning req/s/core", ini["returning"]["rps_per_core"], REFERENCE_INIT_PER_CPU)]
    with open(os.path.join(d, "throughput.dat"), "w") as f:
        f.write("# what ours peer\n")
        for label, a, b in tp:
            f.write("%s %.1f %.1f\n" % (gp_quote(label), a or 1, b or 1))

    tl_runs = [n for n in lat_runs if runs[n].progress]
    with open(os.path.join(d, "timeline.dat"), "w") as f:
        for n in tl_runs:
            for t, rate in runs[n].progress:
                if rate > 0:
                    f.write("%.1f %d\n" % (t, rate))
            f.write("\n\n")

    cpu_runs = [n for n, _ in RUNS if runs[n].cpu]
    with open(os.path.join(d, "cpu.dat"), "w") as f:
        f.write("# run server pg load other\n")
        for n in cpu_runs:
            r = runs[n]
            f.write("%s %.1f %.1f %.1f %.1f\n" % (
                gp_quote(CPU_LABELS[n]), r.cpu_pct() or 0, r.cpu_pct("pg_cpu_s") or 0,
                r.cpu_pct("load_cpu_s") or 0, r.cpu_pct("other_cpu_s") or 0))

    g = ['set terminal pngcairo size 1100,620 font "DejaVu Sans,10" noenhanced\n',
         "set grid ytics\nset key below horizontal\n"]
    g.append("set output %s\n" % out("throughput"))
    g.append('set title "Throughput: challenged against its same-run peer (log scale)"\n'
             'set ylabel "per second"\nset style data histograms\n'
             "set style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
             "set boxwidth 0.9\nset xtics nomirror rotate by -20\nset bmargin 6\n"
             "set logscale y\nset yrange [10:*]\n")
    g.append("plot %s using 2:xtic(1) title \"challenged\" lc rgb \"#c0392b\", "
             "'' using 3 title \"peer: nginx, h2load, Postgres alone, reference\" lc rgb \"#7f8c8d\", "
             "'' using ($0-0.15):($2*1.2):(sprintf(\"%%.0f\",$2)) with labels font \",8\" notitle, "
             "'' using ($0+0.15):($3*1.2):(sprintf(\"%%.0f\",$3)) with labels font \",8\" notitle\n"
             % dat("throughput.dat"))
    g.append("set yrange [*:*]\nset xtics norotate\nset bmargin\n"
             "set style data linespoints\n")
    g.append("set output %s\n" % out("latency"))
    g.append('set title "Latency percentiles per run (loadgen, ms, log scale)"\n'
             'set ylabel "ms"\nset key outside right top vertical\n')
    g.append("plot " + ", ".join(
        "%s using %d:xtic(1) with linespoints lw 2 pt 7 lc rgb \"%s\" title %s"
        % (dat("latency.dat"), i + 2, COLOURS[n], gp_quote(LABELS[n]))
        for i, n in enumerate(lat_runs)) + "\n")
    if tl_runs:
        g.append("set output %s\n" % out("timeline"))
        g.append('set title "Answers per second during each run, after the warm-up (loadgen progress; log scale)"\n'
                 'set xlabel "seconds since the run started"\nset ylabel "per second"\n')
        g.append("plot " + ", ".join(
            "%s index %d using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb \"%s\" title %s"
            % (dat("timeline.dat"), i, COLOURS[n], gp_quote(LABELS[n]))
            for i, n in enumerate(tl_runs)) + "\n")
    g.append("unset xlabel\nunset logscale y\nset key below horizontal\n")
    g.append("set output %s\n" % out("cpu"))
    g.append('set title "CPU over each measured window (% of one core, /proc)"\n'
             'set ylabel "% of one core"\nset style data histograms\n'
             "set style histogram rowstacked\nset style fill solid 0.85 border -1\n"
             "set boxwidth 0.7\nset xtics nomirror rotate by -20\nset bmargin 6\nset yrange [0:*]\n")
    g.append("plot %s using 2:xtic(1) title \"server (nginx in its runs)\" lc rgb \"#c0392b\", "
             "'' using 3 title \"Postgres\" lc rgb \"#2980b9\", "
             "'' using 4 title \"load generator\" lc rgb \"#95a5a6\", "
             "'' using 5 title \"other processes\" lc rgb \"#f1c40f\"\n" % dat("cpu.dat"))
    script = os.path.join(d, "plots.gp")
    with open(script, "w") as f:
        f.write("".join(g))
    r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
    if r.returncode != 0:
        print("report: gnuplot failed:\n" + r.stderr, file=sys.stderr)
    elif r.stderr.strip():
        print("report: gnuplot said:\n" + r.stderr, file=sys.stderr)
    return {k: v for k, v in names.items() if os.path.exists(os.path.join(out_dir, v))}


# ---- markdown ----------------------------------------------------------------------

def bottlenecks(res, runs, meta):
    """Sentences read off the CPU samples: which core ran full in each run
    (with the default split, the server's core and the core Postgres shares
    with the load generators), and the bound Postgres' insert rate puts on
    first-login initialize."""
    shared = meta.get("pg_cpus") not in (None, "") and \
        str(meta.get("pg_cpus")) == str(meta.get("load_cpus"))
    lines = []
    for name, _ in RUNS:
        run = runs[name]
        label = CPU_LABELS[name]
        if not run.cpu:
            continue
        srv, pg, load = (run.cpu_pct(k) or 0.0 for k in ("cpu_s", "pg_cpu_s", "load_cpu_s"))
        who = "nginx" if run.cpu.get("who") == "nginx" else "the server"
        if shared:
            c0, c1 = "CPU %s" % meta.get("server_cpus"), "CPU %s" % meta.get("pg_cpus")
            parts = "%s %s of %s; Postgres %s + load generator %s on %s" % (
                who, pct(srv), c0, pct(pg), pct(load), c1)
            full = [c for c, v in ((c0, srv), (c1, pg + load)) if v >= 90.0]
        else:
            parts = "%s %s, Postgres %s, load generator %s" % (who, pct(srv), pct(pg), pct(load))
            full = [w for w, v in ((who, srv), ("Postgres", pg), ("the load generator", load))
                    if v >= 90.0]
        verdict = " and ".join(full) + " ran full" if full else "no core ran full"
        lines.append("**%s**: %s: %s." % (label, parts, verdict))
    ins = res["pg_upsert_ceiling"]["insert_rows_per_s"]
    ini = res["initialize_500"]
    rows = (ini["rows"] / ini["distinct_users"]) if ini.get("rows") and ini.get("distinct_users") else None
    if ins and rows and ini["rps"]:
        bound = ins / rows
        lines.append(
            "A first-login initialize inserts %.0f rows, so Postgres' own insert rate here (%s "
            "rows/s, psql alone) caps it at ~%s/s on this machine whatever the server does; "
            "%s/s is %.2f of that cap. 100 x the reference's 150/s per CPU would need %s "
            "rows/s." % (rows, fmt(ins), fmt(bound), fmt(ini["rps"]), ini["rps"] / bound,
                         fmt(100 * REFERENCE_INIT_PER_CPU * rows)))
    return lines


def markdown(res, runs, meta, pngs):
    m, run = res["machine"], res["run"]
    ini, mx = res["initialize_500"], res["mixed_reference"]
    ce, fl = res["pg_upsert_ceiling"], res["event_flush"]
    ed, eb = res["events_durable"], res["events_buffered"]
    out = []
    out.append("# challenged benchmarks, %s (%s)\n" % (m["date"], run["mode"]))
    out.append("Commit %s; %s CPUs (%s), %s. Every figure here comes from this one run on this "
               "machine; compare ratios, not bare numbers (PLATFORM.md). Reproduce with "
               "`scripts/bench%s`.\n"
               % (run["commit"], m["nproc"], m["cpu_model"], m["kernel"],
                  " --quick" if run["mode"] == "quick" else ""))
    out.append(
        "**How the 2 cores were split.** %s. The server runs one shard (`--shards 1`) on a "
        "core of its own, so per-core figures divide by %s and its CPU share is its own; "
        "nginx takes that core in its turns. Postgres shares the other core with the load "
        "generators (loadgen, h2load), which use 10-70 %% of it (table below); psql, for "
        "the Postgres ceiling, runs on the idle server's core. CPU figures are "
        "utime+stime from `/proc/<pid>/stat` over each measured window: the server (or "
        "nginx's master and worker), Postgres (every backend, plus what the postmaster "
        "reaped), the load generator; \"other processes\" is the machine's busy time "
        "(/proc/stat) minus those: load from outside the benchmark.\n"
        % (m["pinning"], ini["server_cores"]))
    if (run.get("rounds") or 1) > 1:
        out.append("Each ours/peer pair ran %s rounds in turns (list, nginx, events, h2load); "
                   "the figures are the median round's, every round's rate is in latest.json "
                   "(`rounds_*`).\n" % run["rounds"])
    if (run.get("server_env") or "").strip():
        out.append("Server environment overrides: `%s`\n" % run["server_env"].strip())
    out.append("## Side by side\n")
    out.append(md_table(HEAD, table_rows(res)) + "\n")
    out.append("Targets (PLATFORM.md): " + "; ".join(
        "%s: **%s**" % (k, "n/a" if v is None else ("met" if v else "not met"))
        for k, v in res["targets"].items()) + ".\n")
    if run.get("errors"):
        out.append("**Failed requests:** `%s`: those runs' figures are not comparable.\n"
                   % json.dumps(run["errors"]))
    for kind, title in (("throughput", "Throughput against the peers"),
                        ("latency", "Latency percentiles"),
                        ("timeline", "Answers per second during each run"),
                        ("cpu", "Where the CPU went")):
        if kind in pngs:
            out.append("### %s\n\n![%s](%s)\n" % (title, kind, pngs[kind]))
    out.append(cpu_table(runs) + "\n")
    reading = bottlenecks(res, runs, meta)
    if reading:
        out.append("## Where each run is bound\n")
        out.append("\n".join("- " + line for line in reading) + "\n")
    out.append("## What ran\n")
    w, s = run["warmup_s"], run["seconds"]
    out.append(
        "Each run: %s s of warm-up, then %s s measured (loadgen `-w %s -d %s`, one thread; "
        "h2load `--warm-up-time %ss -D %ss`). The server: release build, `--shards 1`, auth "
        "off (`X-Mock-User-Id`), mock rewards, access log off, `AB_NAMESPACE=test`; a "
        "private PostgreSQL 15 cluster with fsync and synchronous_commit on.\n"
        % (w, s, w, s, w, s))
    rl = res["rest_list"]
    out.append(
        "- **rest_list**: `loadgen -s list -c %s`, closed loop, over %s users initialized "
        "beforehand (demo config, one POST initialize each: %s active rows); the body is %s "
        "bytes for user-000001. **nginx_same_body**: nginx (one worker) serving that very "
        "body as a static file, `loadgen -s get` with the same connections: %s req/s, p50 %s, "
        "p99 %s.\n"
        % (meta.get("list_conns"), run["users"], fmt(run.get("active_rows")),
           rl["body_bytes"], fmt(res["nginx_same_body"]["rps"]),
           fmt(res["nginx_same_body"]["p50_ms"], " ms"), fmt(res["nginx_same_body"]["p99_ms"], " ms")))
    out.append(
        "- **rest_list_cached** (extra): the same run against a server with "
        "`CHALLENGED_USER_CACHE_ENTRIES` set (a per-shard cache of users' rows, correct while "
        "the server is the only writer, as here): no Postgres read per request, so the "
        "server's own cost shows; rest_list is the default configuration.\n")
    out.append(
        "- **events_durable / events_buffered**: `loadgen -s events -c %s -m %s` (%s gRPC "
        "calls in flight, closed loop; 20 %% UserLoggedIn, 80 %% StatItemUpdated) for the "
        "same users, server with `--ack durable` (answered once the flush holding the "
        "event commits) and `--ack buffered` (answered once merged; flushed every "
        "FLUSH_INTERVAL_MS). Postgres at %s / %s of a core. **h2load_nginx**: "
        "`h2load -c %s -m %s` POSTing the same StatItemUpdated to nginx's canned gRPC answer "
        "over h2c.\n"
        % (meta.get("events_conns"), meta.get("events_streams"), ed["in_flight"],
           pct(ed["pg_cpu_pct"]), pct(eb["pg_cpu_pct"]), meta.get("events_conns"),
           meta.get("events_streams")))
    out.append(
        "- **event_flush**: %s rows changed over %s s of durable runs: %s rows/s, %s rows per "
        "event (buffered: %s rows/s, %s rows per event: merged in the buffer). Source: %s.\n"
        % (fmt(fl["rows_updated"]), fmt(fl["seconds"]), fmt(fl["rows_per_s"]),
           fmt(ed["rows_per_event"]), fmt(fl["buffered_rows_per_s"]), fmt(eb["rows_per_event"]),
           fl["source"]))
    out.append(
        "- **pg_upsert_ceiling**: %s statements of %s rows per pass, %s indexes on the copy, "
        "updates spread over a working set of %s rows (the active rows the events find): "
        "upsert of existing keys %s rows/s (the figure compared), of new keys %s rows/s, "
        "UPDATE ... FROM unnest %s rows/s. Method: %s.\n"
        % (ce["statements_per_pass"], ce["rows_per_statement"], ce["indexes"],
           fmt(ce["working_set_rows"]), fmt(ce["rows_per_s"]), fmt(ce["insert_rows_per_s"]),
           fmt(ce["update_from_rows_per_s"]), ce["method"]))
    rt = ini["returning"]
    out.append(
        "- **initialize_500**: a generated config (`perf/bench/gen_config.py`: 10 challenges "
        "x 50 goals, all default-assigned as in the reference's load test; the answer is %s "
        "bytes), `loadgen -s initialize -c %s`. First login: users drawn from a million; %s "
        "distinct users got %s rows: %s req/s, %s per core; the server used %s of its core "
        "(%s req/s per server CPU-second), Postgres %s. Returning: %s users initialized "
        "beforehand, initialized again: %s req/s, %s per core, server %s (%s req/s per "
        "server CPU-second), Postgres %s. The reference: ~%.0f initialize/s per CPU.\n"
        % (ini["response_bytes"], meta.get("init_conns"), fmt(ini["distinct_users"]),
           fmt(ini["rows"]), fmt(ini["rps"]), fmt(ini["rps_per_core"]),
           pct(ini["server_cpu_pct"]), fmt(ini["rps_per_server_cpu"]), pct(ini["pg_cpu_pct"]),
           rt["users"], fmt(rt["rps"]), fmt(rt["rps_per_core"]), pct(rt["server_cpu_pct"]),
           fmt(rt["rps_per_server_cpu"]), pct(rt["pg_cpu_pct"]), REFERENCE_INIT_PER_CPU))
    out.append(
        "- **mixed_reference**: the reference's combined scenario, open loop, at once: %s "
        "list/s (`loadgen -s list -r %s`) and %s events/s (`loadgen -s events -r %s`, "
        "durable acks) for %s s. The server used %s of one core (target <= 5 %%; the "
        "reference needs ~%.1f cores), Postgres %s. List p50/p99 %s / %s, events %s / %s.\n"
        % (mx["list"]["rate"], mx["list"]["rate"], mx["events"]["rate"], mx["events"]["rate"],
           mx["seconds"], pct(mx["cpu_pct_of_core"]), REFERENCE_MIXED_CORES,
           pct(mx["pg_cpu_pct"]), fmt(mx["list"]["p50_ms"], " ms"), fmt(mx["list"]["p99_ms"], " ms"),
           fmt(mx["events"]["p50_ms"], " ms"), fmt(mx["events"]["p99_ms"], " ms")))
    out.append("\nAll figures, with every round and percentile: `latest.json`, written by the "
               "same run.\n")
    return "\n".join(out)


# ---- entry points ------------------------------------------------------------------

def summary(path):
    d = parse_out(path)
    if "upsert" in d:
        return "insert %.0f rows/s, upsert %.0f rows/s, UPDATE FROM %.0f rows/s" % (
            d["insert"]["rows_per_s"], d["upsert"]["rows_per_s"], d["update"]["rows_per_s"])
    if d.get("tool") == "h2load":
        return "%.0f req/s, errors %s" % (d.get("rps") or 0, d.get("errors"))
    lat = d.get("latency_ms") or {}
    return "%.0f/s, p50 %.3f ms, p99 %.3f ms, errors %s" % (
        d.get("rps") or 0, lat.get("p50") or 0, lat.get("p99") or 0, d.get("errors"))


def write_meta(path, pairs):
    meta = {}
    for p in pairs:
        k, _, v = p.partition("=")
        for conv in (int, float):
            try:
                v = conv(v)
                break
            except ValueError:
                pass
        meta[k] = v
    with open(path, "w") as f:
        json.dump(meta, f, indent=1)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--summary":
        print(summary(sys.argv[2]))
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "--meta":
        write_meta(sys.argv[2], sys.argv[3:])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("out_dir")
    ap.add_argument("--stamp", required=True)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    res, runs, meta = build(a.raw)
    pngs = plots(res, runs, a.work or a.raw, a.out_dir, a.stamp)
    report_name = "bench-%s.md" % a.stamp
    res["report"] = dict(markdown=report_name, plots=sorted(pngs.values()))
    with open(os.path.join(a.out_dir, "latest.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.out_dir, report_name), "w") as f:
        f.write(markdown(res, runs, meta, pngs))
    print(text_table(res))
    print()
    for k, v in res["targets"].items():
        print("  %-52s %s" % (k, "n/a" if v is None else ("met" if v else "NOT met")))
    print("\nreport: %s\njson:   %s" % (os.path.join(a.out_dir, report_name),
                                       os.path.join(a.out_dir, "latest.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
