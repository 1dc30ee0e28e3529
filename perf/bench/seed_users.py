#!/usr/bin/python3
"""Initializes users user-000001..user-N (loadgen's ids) with
POST {base}/v1/challenges/initialize, X-Mock-User-Id, over a few keep-alive
connections, so the event and list runs that follow find active rows to work
on. Prints one JSON line: users, seconds, non-200 answers.

usage: seed_users.py URL_BASE N [--first K] [--conns C]
"""

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def worker(host, port, path, users, bad, lock):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    for u in users:
        for attempt in range(3):
            try:
                conn.request("POST", path, body=b"{}", headers={
                    "X-Mock-User-Id": "user-%06d" % u,
                    "Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    with lock:
                        bad[resp.status] = bad.get(resp.status, 0) + 1
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
                if attempt == 2:
                    with lock:
                        bad["conn_error"] = bad.get("conn_error", 0) + 1
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base", help="http://127.0.0.1:PORT/BASE_PATH")
    ap.add_argument("n", type=int)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--conns", type=int, default=4)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.base)
    path = u.path.rstrip("/") + "/v1/challenges/initialize"
    ids = list(range(a.first, a.first + a.n))
    bad, lock = {}, threading.Lock()
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(u.hostname, u.port, path,
                                                     ids[i::a.conns], bad, lock))
               for i in range(a.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"users": a.n, "seconds": round(time.monotonic() - t0, 3),
                      "bad": bad}))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
