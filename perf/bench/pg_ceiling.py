#!/usr/bin/python3
"""Postgres' own ceiling for the event flush's kind of statement, measured
with psql alone (no server of ours): batches of ROWS rows per statement,
`INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE` into a copy of
user_goal_progress with all its indexes and constraints (CREATE TABLE ...
(LIKE user_goal_progress INCLUDING ALL)), one commit per statement as the
flush does. Three passes:

  insert   the upsert on keys not there yet (first-login shape)
  upsert   the same upsert on existing keys (the DO UPDATE path)
  update   UPDATE ... FROM unnest(...) on existing keys (the flush's form)

Keys are (user, goal) with GOALS goals per user, numbered k = user * GOALS +
goal. The insert pass writes k in order, a user's rows together as a first
initialize does. Each statement of the update passes takes ROWS distinct
keys at random from the first --working-set ones, so rows are updated again
and again, a few per page per statement, as the event flush updates the
active goals of many users: the flush's access pattern and steady state
(pruned pages, HOT updates where no indexed column changes).

Each pass is one psql run of PREPARE + N EXECUTEs (parameters as array
literals, as libpq's text format sends them); its wall time gives rows/s.
Connection settings come from PGHOST, PGPORT, PGUSER, PGDATABASE. Prints
one JSON object.

usage: pg_ceiling.py [--rows 1000] [--statements 100] [--working-set 20000]
                     [--table bench_upsert]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

PSQL = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]

UPSERT = """PREPARE up(text[], text[], text[], int[]) AS
INSERT INTO {t} (user_id, goal_id, challenge_id, namespace, progress, status,
                 is_active, assigned_at, updated_at)
SELECT u, g, c, 'bench', p, 'in_progress', true, NOW(), NOW()
FROM unnest($1, $2, $3, $4) AS r(u, g, c, p)
ON CONFLICT (user_id, goal_id) DO UPDATE
SET progress = EXCLUDED.progress, status = EXCLUDED.status, updated_at = NOW();
"""

UPDATE = """PREPARE up(text[], text[], text[], int[]) AS
UPDATE {t} AS t SET progress = r.p,
       status = CASE WHEN r.p >= 1000000 THEN 'completed' ELSE 'in_progress' END,
       updated_at = NOW()
FROM unnest($1, $2, $3, $4) AS r(u, g, c, p)
WHERE t.user_id = r.u AND t.goal_id = r.g AND t.is_active;
"""

GOALS = 10   # goals per user (the demo config's default-assigned goals)


def literal(items):
    return "'{" + ",".join(items) + "}'"


def batch_sql(keys, bump):
    users, goals, chals, progress = [], [], [], []
    for i, k in enumerate(keys):
        users.append('"ceil-%07d"' % (k // GOALS))
        goals.append('"goal-%03d"' % (k % GOALS))
        chals.append('"ch-%02d"' % (k % GOALS // 4))
        progress.append(str(bump + i % 997))
    return "EXECUTE up(%s, %s, %s, %s);\n" % (
        literal(users), literal(goals), literal(chals), literal(progress))


def psql(sql_text):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql_text)
        path = f.name
    try:
        t0 = time.monotonic()
        subprocess.run(PSQL + ["-f", path], check=True, stdout=subprocess.DEVNULL)
        return time.monotonic() - t0
    finally:
        os.unlink(path)


def run_pass(table, prepare, rows, statements, bump, working_set=None):
    rng = random.Random(bump)
    if working_set is None:
        batches = (range(s * rows, (s + 1) * rows) for s in range(statements))
    else:
        batches = (sorted(rng.sample(range(working_set), rows)) for _ in range(statements))
    body = "".join(batch_sql(keys, bump + s) for s, keys in enumerate(batches))
    secs = psql(prepare.format(t=table) + body)
    return {"rows": rows * statements, "seconds": round(secs, 3),
            "rows_per_s": round(rows * statements / secs, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--statements", type=int, default=100)
    ap.add_argument("--working-set", type=int, default=20000,
                    help="rows the update passes cycle over")
    ap.add_argument("--table", default="bench_upsert")
    a = ap.parse_args()
    if a.rows < 1 or a.statements < 1:
        ap.error("--rows and --statements must be positive")
    t = a.table
    psql("SET client_min_messages = warning;\nDROP TABLE IF EXISTS %s;\n"
         "CREATE TABLE %s (LIKE user_goal_progress INCLUDING ALL);\n" % (t, t))
    indexes = subprocess.run(
        PSQL + ["-Atc", "SELECT count(*) FROM pg_indexes WHERE tablename = '%s'" % t],
        check=True, capture_output=True, text=True).stdout.strip()
    ws = max(a.rows, min(a.working_set, a.rows * a.statements))
    out = {"rows_per_statement": a.rows, "statements": a.statements,
           "working_set_rows": ws, "indexes": int(indexes)}
    out["insert"] = run_pass(t, UPSERT, a.rows, a.statements, 0)
    out["upsert"] = run_pass(t, UPSERT, a.rows, a.statements, 1000, ws)
    out["update"] = run_pass(t, UPDATE, a.rows, a.statements, 2000, ws)
    psql("DROP TABLE %s;\n" % t)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
