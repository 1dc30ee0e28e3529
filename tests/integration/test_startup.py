"""Start-up: fatal configuration errors exit non-zero with the reference's
sentence (spec config.md §1.2, §2.1, api.md §1.1), and the migrations create
the schema of data.md §2 with golang-migrate's bookkeeping."""

import json
import os
import unittest

import harness
from harness import RUN_ID, Server, psql, user_id


def run_to_exit(test, env, args=(), timeout=15):
    """Starts a server expected to exit by itself; returns (status, log)."""
    srv = Server(env, args, name="startup")
    test.addCleanup(srv.kill)
    srv.spawn()
    rc = srv.wait_exit(timeout)
    test.assertIsNotNone(rc, f"still running after {timeout * harness.SLOW}s; log:\n{srv.log_tail()}")
    srv.stopped = True
    problems = []
    srv.check_log(problems)
    test.assertEqual(problems, [], srv.log_tail())
    return rc, srv.log_text()


class FatalConfigTests(unittest.TestCase):

    def assert_fatal(self, env, sentence, args=()):
        rc, log = run_to_exit(self, env, args)
        self.assertNotEqual(rc, 0, log)
        self.assertIn(sentence, log)

    def test_base_path_missing(self):
        self.assert_fatal({"BASE_PATH": None}, "BASE_PATH envar is not set or empty")
        self.assert_fatal({"BASE_PATH": ""}, "BASE_PATH envar is not set or empty")

    def test_base_path_without_slash(self):
        self.assert_fatal({"BASE_PATH": "challenge"},
                          "BASE_PATH envar is invalid, no leading '/' found. Valid example: /basePath")

    def test_bad_reward_mode(self):
        self.assert_fatal({"REWARD_CLIENT_MODE": "bogus"},
                          "Invalid REWARD_CLIENT_MODE: bogus (must be 'mock' or 'real')")
        self.assert_fatal({"REWARD_CLIENT_MODE": "MOCK"},
                          "Invalid REWARD_CLIENT_MODE: MOCK (must be 'mock' or 'real')")

    def test_config_file_missing(self):
        self.assert_fatal({"CHALLENGE_CONFIG_PATH": "/nonexistent/challenges.json"},
                          "failed to read config file")

    def test_config_invalid(self):
        with open(harness.CONFIG_PATH) as f:
            cfg = json.load(f)
        cfg["challenges"][1]["goals"][1]["requirement"]["targetValue"] = 0
        path = os.path.join(harness.tmp_dir(), f"bad-config-{RUN_ID}.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.assert_fatal({"CHALLENGE_CONFIG_PATH": path},
                          "config validation failed: invalid goal 'kill-10-snowmen' in challenge "
                          "'winter-challenge-2025': target_value must be positive")

    def test_config_not_json(self):
        path = os.path.join(harness.tmp_dir(), f"not-json-{RUN_ID}.json")
        with open(path, "w") as f:
            f.write("{\"challenges\": [")
        self.assert_fatal({"CHALLENGE_CONFIG_PATH": path}, "failed to parse config JSON")

    def test_help_exits_zero(self):
        rc, log = run_to_exit(self, {"BASE_PATH": None}, ["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("--http-port", log)

    def test_unknown_flag(self):
        rc, log = run_to_exit(self, {}, ["--no-such-flag"])
        self.assertNotEqual(rc, 0)

    def test_flags_override_environment(self):
        port = harness.free_port()
        srv = Server({}, ["--http-port", str(port), "--shards", "1",
                          "--config", harness.CONFIG_PATH], name="flags")
        self.addCleanup(srv.kill)
        srv.spawn()
        srv.http_port = port
        srv.wait_ready()
        self.assertEqual(srv.get("/healthz").status, 200)
        srv.stop()


class MigrationTests(unittest.TestCase):
    """Each test gets a database of its own in the test cluster."""

    def setUp(self):
        self.db = f"it_mig_{RUN_ID}_{user_id('db').rsplit('-', 1)[1]}"
        psql(f'CREATE DATABASE "{self.db}"', db="postgres")
        self.addCleanup(psql, f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)', db="postgres")

    def start(self):
        srv = Server({"DB_NAME": self.db}, name="migrate")
        self.addCleanup(srv.kill)
        srv.start()
        return srv

    def test_fresh_database_gets_schema(self):
        srv = self.start()
        self.assertEqual(psql("SELECT version, dirty FROM schema_migrations", db=self.db),
                         [["2", "f"]])
        cols = psql("SELECT column_name, data_type, is_nullable, coalesce(character_maximum_length, 0) "
                    "FROM information_schema.columns WHERE table_name = 'user_goal_progress' "
                    "ORDER BY ordinal_position", db=self.db)
        self.assertEqual(cols, [
            ["user_id", "character varying", "NO", "100"],
            ["goal_id", "character varying", "NO", "100"],
            ["challenge_id", "character varying", "NO", "100"],
            ["namespace", "character varying", "NO", "100"],
            ["progress", "integer", "NO", "0"],
            ["status", "character varying", "NO", "20"],
            ["completed_at", "timestamp without time zone", "YES", "0"],
            ["claimed_at", "timestamp without time zone", "YES", "0"],
            ["created_at", "timestamp without time zone", "NO", "0"],
            ["updated_at", "timestamp without time zone", "NO", "0"],
            ["is_active", "boolean", "NO", "0"],
            ["assigned_at", "timestamp without time zone", "YES", "0"],
            ["expires_at", "timestamp without time zone", "YES", "0"],
            ["baseline_value", "integer", "YES", "0"],
        ])
        pk = psql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                  "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'user_goal_progress'::regclass "
                  "AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)", db=self.db)
        self.assertEqual(pk, [["user_id"], ["goal_id"]])
        idx = {r[0] for r in psql("SELECT indexname FROM pg_indexes WHERE tablename = "
                                  "'user_goal_progress'", db=self.db)}
        for name in ("idx_user_goal_progress_user_challenge", "idx_user_goal_progress_user_active",
                     "idx_user_goal_count", "idx_user_goal_lookup", "idx_user_goal_active_only"):
            self.assertIn(name, idx)
        checks = {r[0] for r in psql("SELECT conname FROM pg_constraint WHERE conrelid = "
                                     "'user_goal_progress'::regclass AND contype = 'c'", db=self.db)}
        self.assertTrue({"check_status", "check_progress_non_negative",
                         "check_claimed_implies_completed"} <= checks, checks)
        defaults = dict(psql("SELECT column_name, column_default FROM information_schema.columns "
                             "WHERE table_name = 'user_goal_progress' AND column_default IS NOT NULL",
                             db=self.db))
        self.assertEqual(defaults.get("progress"), "0")
        self.assertIn("not_started", defaults.get("status", ""))
        self.assertEqual(defaults.get("is_active"), "true")
        srv.stop()

    def test_second_start_is_a_no_op(self):
        self.start().stop()
        psql("INSERT INTO user_goal_progress (user_id, goal_id, challenge_id, namespace) "
             "VALUES ('keep-me', 'play-3-matches', 'daily-quests', 'accelbyte')", db=self.db)
        self.start().stop()
        self.assertEqual(psql("SELECT version, dirty FROM schema_migrations", db=self.db),
                         [["2", "f"]])
        self.assertEqual(psql("SELECT count(*) FROM user_goal_progress", db=self.db), [["1"]])

    def test_reference_database_at_version_1_is_upgraded(self):
        # A database migrated by the reference up to 001 (which already has
        # baseline_value) moves to version 2 without losing rows.
        self.start().stop()
        psql("UPDATE schema_migrations SET version = 1", db=self.db)
        psql("INSERT INTO user_goal_progress (user_id, goal_id, challenge_id, namespace) "
             "VALUES ('keep-me', 'play-3-matches', 'daily-quests', 'accelbyte')", db=self.db)
        self.start().stop()
        self.assertEqual(psql("SELECT version, dirty FROM schema_migrations", db=self.db),
                         [["2", "f"]])
        self.assertEqual(psql("SELECT count(*) FROM user_goal_progress", db=self.db), [["1"]])


if __name__ == "__main__":
    unittest.main()
