"""Runs the integration tests (test_*.py beside this file) with one line per
test and, last, a machine-readable "RESULT passed=N failed=M skipped=K" that
scripts/test adds to its totals. A failure inside class set-up or clean-up
counts as one more failed item; a module that does not import counts as one
failed test. Every test has a time limit, so one hang cannot stall CI.

usage: run.py [-k SUBSTRING]... [--timeout SECONDS] [-q]

scripts/test sets the environment; by hand, with a cluster from
scripts/lib/pg.sh: CHALLENGED_BIN=build/challenged PGHOST=127.0.0.1
PGPORT=55433 PGUSER=postgres PGDATABASE=challenge_service, optionally
CHALLENGED_SANITIZED=1 (slower deadlines) and CHALLENGED_TEST_TMP (where
server logs go)."""

import argparse
import os
import resource
import signal
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class TestTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise TestTimeout("test exceeded its time limit")


class Result(unittest.TestResult):
    def __init__(self, timeout, quiet):
        super().__init__()
        self.timeout = timeout
        self.quiet = quiet
        self.outcome = {}       # test id -> "ok" | "FAIL" | "skip"
        self.details = {}       # test id -> [text]
        self.started = {}

    def startTest(self, test):
        super().startTest(test)
        self.started[test.id()] = time.monotonic()
        signal.alarm(self.timeout)

    def stopTest(self, test):
        signal.alarm(0)
        tid = test.id()
        outcome = self.outcome.setdefault(tid, "ok")
        secs = time.monotonic() - self.started.get(tid, time.monotonic())
        print(f"{outcome:4} {tid} ({secs:.2f}s)", flush=True)
        if outcome == "FAIL" and not self.quiet:
            for d in self.details.get(tid, []):
                print("    " + d.replace("\n", "\n    "), flush=True)
        super().stopTest(test)

    def describe(self, err, test):
        # A server that would not start says why in its message; the
        # traceback through the harness adds nothing.
        if err[0].__name__ == "ServerError":
            return f"ServerError: {err[1]}"
        return self._exc_info_to_string(err, test).rstrip()

    def _bad(self, test, err):
        tid = test.id()
        self.outcome[tid] = "FAIL"
        self.details.setdefault(tid, []).append(self.describe(err, test))
        # Errors of class/module fixtures have no startTest/stopTest.
        if not isinstance(test, unittest.TestCase):
            print(f"FAIL {tid}", flush=True)
            if not self.quiet:
                for d in self.details[tid]:
                    print("    " + d.replace("\n", "\n    "), flush=True)

    def addError(self, test, err):
        super().addError(test, err)
        self._bad(test, err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._bad(test, err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.outcome[test.id()] = "FAIL"
            self.details.setdefault(test.id(), []).append(
                f"[{subtest._subDescription()}] " + self.describe(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.outcome[test.id()] = "skip"
        self.details.setdefault(test.id(), []).append(reason)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.outcome[test.id()] = "FAIL"


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", action="append", default=[], help="run tests whose id contains this")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("CHALLENGED_TEST_TIMEOUT", 180)))
    ap.add_argument("-q", action="store_true", help="no failure details")
    opts = ap.parse_args()

    # 1000-connection tests need descriptors, here and in the server we spawn.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    signal.signal(signal.SIGALRM, on_alarm)

    print(f"integration: server {os.environ.get('CHALLENGED_BIN', '(CHALLENGED_BIN unset)')}, "
          f"postgres {os.environ.get('PGHOST', '?')}:{os.environ.get('PGPORT', '?')}", flush=True)
    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    if opts.k:
        keep = [t for t in iter_tests(suite) if any(k in t.id() for k in opts.k)]
        suite = unittest.TestSuite(keep)
    result = Result(opts.timeout, opts.q)
    t0 = time.monotonic()
    try:
        suite.run(result)
    except BaseException:
        traceback.print_exc()
        result.outcome["(runner)"] = "FAIL"

    bad = sorted(t for t, o in result.outcome.items() if o == "FAIL")
    passed = sum(1 for o in result.outcome.values() if o == "ok")
    skipped = sum(1 for o in result.outcome.values() if o == "skip")
    print(f"\nintegration: {passed} passed, {len(bad)} failed, {skipped} skipped "
          f"in {time.monotonic() - t0:.1f}s")
    for t in bad:
        print(f"FAIL: {t}")
    print(f"RESULT passed={passed} failed={len(bad)} skipped={skipped}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
