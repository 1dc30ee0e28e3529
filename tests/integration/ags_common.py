"""Shared pieces of the AGS integration tests (test_ags_auth.py,
test_ags_rewards.py): the server environment that points at a FakeAGS
(tests/ags/fake_ags.py), a SharedServer mixin with one fake per class,
bounded polls, claims and lists with a bearer token, and what the fake
issued. Spec auth.md §2, §7 and rewards.md §2-§4."""

import base64
import json
import os
import sys
import time

import harness
from gateway import CLAIM, call
from harness import SharedServer

sys.path.insert(0, os.path.join(harness.HERE, "..", "ags"))

from fake_ags import FakeAGS  # noqa: E402

NAMESPACE = "accelbyte"
LOGIN_FATAL = "Error unable to login using clientId and clientSecret"


def grant_failed(goal):
    return f"Failed to grant reward via Platform Service after 3 retries (goal_id: {goal})"


def ags_env(fake, auth=True, rewards="real", **extra):
    """Server environment for a fake: its URL, CA and client credentials."""
    env = {"PLUGIN_GRPC_SERVER_AUTH_ENABLED": "true" if auth else "false",
           "REWARD_CLIENT_MODE": rewards,
           "AB_BASE_URL": fake.url, "AB_CA_FILE": fake.ca_file,
           "AB_CLIENT_ID": fake.client_id, "AB_CLIENT_SECRET": fake.client_secret,
           "AB_NAMESPACE": NAMESPACE, "AUTH_JWKS_FILE": None}
    env.update(extra)
    return env


def bearer(token):
    return {"Authorization": "Bearer " + token}


def wait_for(cond, timeout, interval=0.1):
    """Polls cond() until it returns a true value or timeout (scaled for
    sanitized builds) has passed; returns the last value."""
    deadline = time.monotonic() + timeout * harness.SLOW
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def jwt_payload(token):
    seg = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def issued_tokens(fake):
    """Every client token the fake's token endpoint issued, oldest first."""
    with fake._lock:
        return list(fake._issued)


def list_as(srv, token, **kw):
    return srv.get("/v1/challenges", headers=bearer(token), **kw)


def claim_with(srv, c, g, token=None, user=None, **kw):
    """A claim with a bearer token (auth on) or x-mock-user-id (auth off)."""
    return call(srv, "POST", CLAIM.format(c=c, g=g), b"{}", user=user,
                headers=bearer(token) if token else None, **kw)


def completed(user, goal, progress=3):
    """A completed, active, unclaimed row."""
    return dict(user_id=user, goal_id=goal, progress=progress, status="completed",
                completed_at="=NOW()")


class AgsServer(SharedServer):
    """A SharedServer against one FakeAGS per class (started in setUpClass,
    stopped after the server in tearDownClass). auth/rewards/extra_env
    shape the server; fake_kwargs the fake."""

    auth = True
    rewards = "real"
    extra_env = {}
    fake_kwargs = {}
    fake = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeAGS(NAMESPACE, **cls.fake_kwargs)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.fake.stop()

    @classmethod
    def prepare(cls):
        env = ags_env(cls.fake, auth=cls.auth, rewards=cls.rewards, **cls.extra_env)
        kw = {"headers": bearer(cls.fake.user_token("readiness-probe"))} if cls.auth else {}
        return env, kw
