"""compose/: the compose file, its .env.example and both Dockerfiles checked
without a Docker daemon (docker-compose 1.29's own validation when it is
installed, a YAML parse and structural checks always), and, only when a
daemon answers and the base image is already present (nothing can be
pulled here), the images built by compose/build and looked at. Needs no
server and no database; the build runs once per scripts/test (not again for
the sanitized build) and is skipped, saying why, when it cannot run."""

import json
import os
import re
import shutil
import signal
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COMPOSE = os.path.join(REPO, "compose")
COMPOSE_FILE = os.path.join(COMPOSE, "docker-compose.yml")
ENV_EXAMPLE = os.path.join(COMPOSE, ".env.example")
DOCKERFILE = os.path.join(COMPOSE, "Dockerfile")
PG_DOCKERFILE = os.path.join(COMPOSE, "postgres", "Dockerfile")
SANITIZED = os.environ.get("CHALLENGED_SANITIZED", "0") not in ("", "0", "false")
BUILD_TIMEOUT = int(os.environ.get("CHALLENGED_COMPOSE_BUILD_TIMEOUT", "60"))
TEST_TAG = "test"

# Variables of .env.example that configure compose itself, not the server.
COMPOSE_ONLY = re.compile(r"^(COMPOSE_PROJECT_NAME|BASE_IMAGE|NOFILE_LIMIT|HOST_[A-Z_]+|LOADGEN_[A-Z_]+)$")

try:
    import yaml
except ImportError:          # python3-yaml (scripts/setup) is for /usr/bin/python3
    yaml = None


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def env_example():
    """NAME -> value of compose/.env.example, in file order."""
    out = {}
    for line in read(ENV_EXAMPLE).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f".env.example: not NAME=value: {line!r}"
        out[name] = value
    return out


def docker_compose(*args, timeout=30):
    return subprocess.run(["docker-compose", "-f", COMPOSE_FILE, "--env-file", ENV_EXAMPLE, *args],
                          cwd=REPO, capture_output=True, text=True, timeout=timeout)


def dockerfile_lines(path):
    """Instructions with continuation lines joined and comments dropped."""
    out, cur = [], ""
    for raw in read(path).splitlines():
        s = raw.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        out.append((cur + s).strip())
        cur = ""
    if cur:
        out.append(cur.strip())
    return out


def stages(path):
    """[(stage name or None, base, [instructions])]; ARGs before the first
    FROM are stage None."""
    result = [(None, None, [])]
    for line in dockerfile_lines(path):
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            result.append((name, parts[0], []))
        else:
            result[-1][2].append((word.upper(), rest.strip()))
    return result


def apt_packages(instructions):
    pkgs = []
    for word, rest in instructions:
        if word != "RUN":
            continue
        for m in re.finditer(r"apt-get install ([^&;]*)", rest):
            pkgs += [t for t in m.group(1).split() if not t.startswith("-")]
    return pkgs


def setup_build_packages():
    """The packages of scripts/setup's "# build" group."""
    text = read(os.path.join(REPO, "scripts", "setup"))
    body = text.split("PACKAGES=(", 1)[1].split(")", 1)[0]
    group, out = None, []
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("#"):
            group = line[1:].strip().split()[0].rstrip(":;")
            continue
        if group == "build":
            out += line.split("#", 1)[0].split()
    return out


class EnvExampleTests(unittest.TestCase):

    def test_reference_settings(self):
        env = env_example()
        self.assertTrue(env["BASE_PATH"].startswith("/"), env["BASE_PATH"])
        self.assertEqual(env["PLUGIN_GRPC_SERVER_AUTH_ENABLED"], "false")
        self.assertEqual(env["REWARD_CLIENT_MODE"], "mock")
        for name in ("AB_NAMESPACE", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD",
                     "DB_SSLMODE"):
            self.assertIn(name, env)
        self.assertEqual(env["DB_HOST"], "postgres", "the server reaches the compose service by name")
        self.assertEqual(env["DB_PORT"], "5432")

    def test_server_variables_are_known(self):
        """Every server variable of .env.example is one challenged reads (a
        literal in src/) or one README.md's table accepts: a misspelt name
        would be passed and silently ignored."""
        known = set()
        for root, _, files in os.walk(os.path.join(REPO, "src")):
            for f in files:
                if f.endswith(".c"):
                    known |= set(re.findall(r'"([A-Z][A-Z0-9_]+)"', read(os.path.join(root, f))))
        known |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", read(os.path.join(REPO, "README.md"))))
        unknown = [n for n in env_example() if not COMPOSE_ONLY.match(n) and n not in known]
        self.assertEqual(unknown, [])


@unittest.skipIf(yaml is None, "python3-yaml is not installed (scripts/setup installs it)")
class ComposeFileTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.text = read(COMPOSE_FILE)
        cls.doc = yaml.safe_load(cls.text)

    def test_format_and_services(self):
        version = str(self.doc.get("version", ""))
        self.assertRegex(version, r"^[23](\.\d+)?$", "a format docker-compose 1.29 reads")
        self.assertEqual(sorted(self.doc["services"]), ["challenged", "loadgen", "postgres"])

    def test_challenged_service(self):
        svc = self.doc["services"]["challenged"]
        self.assertEqual(svc["build"]["dockerfile"], "compose/Dockerfile")
        self.assertEqual(os.path.normpath(os.path.join(COMPOSE, svc["build"]["context"])), REPO)
        self.assertIn("BASE_IMAGE", svc["build"]["args"])
        self.assertIn("postgres", svc["depends_on"])
        targets = sorted(int(p.rsplit(":", 1)[1]) for p in svc["ports"])
        self.assertEqual(targets, [6565, 8000, 8080])

    def test_postgres_service(self):
        svc = self.doc["services"]["postgres"]
        ctx = os.path.join(COMPOSE, svc["build"]["context"])
        self.assertTrue(os.path.isfile(os.path.join(ctx, "Dockerfile")), ctx)
        for name in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
            self.assertIn(name, svc["environment"])
        self.assertIn("healthcheck", svc, "challenged waits for service_healthy")

    def test_loadgen_service(self):
        svc = self.doc["services"]["loadgen"]
        self.assertEqual(svc["image"], self.doc["services"]["challenged"]["image"])
        self.assertEqual(svc["entrypoint"], ["/usr/local/bin/loadgen"])
        self.assertIn("challenged", svc["depends_on"])
        self.assertIn("--allow-remote", svc["command"], "loadgen refuses non-loopback targets")

    def test_variables_match_env_example(self):
        """What the compose file interpolates and what .env.example sets are
        the same set, so the example is complete and has nothing dead."""
        used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", self.text))
        given = set(env_example()) - {"COMPOSE_PROJECT_NAME"}
        self.assertEqual(sorted(given - used), [], "set in .env.example, unused by the compose file")
        self.assertEqual(sorted(used - given), [], "used by the compose file, missing from .env.example")

    def test_defaults_match_env_example(self):
        """A missing .env behaves as the example: each ${VAR:-default}
        default is the example's value."""
        env = env_example()
        for name, default in re.findall(r"\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}", self.text):
            with self.subTest(name=name):
                self.assertEqual(default, env[name])

    def test_docker_compose_config(self):
        """docker-compose's own validation, which needs no daemon."""
        if not shutil.which("docker-compose"):
            self.skipTest("docker-compose is not installed (scripts/setup installs it)")
        r = docker_compose("config", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = docker_compose("config")
        self.assertEqual(r.returncode, 0, r.stderr)
        resolved = yaml.safe_load(r.stdout)
        pg = resolved["services"]["postgres"]["environment"]
        srv = resolved["services"]["challenged"]["environment"]
        # The server logs in with what the database was initialised with.
        self.assertEqual(pg["POSTGRES_USER"], srv["DB_USER"])
        self.assertEqual(pg["POSTGRES_PASSWORD"], srv["DB_PASSWORD"])
        self.assertEqual(pg["POSTGRES_DB"], srv["DB_NAME"])
        self.assertEqual(srv["DB_HOST"], "postgres")
        self.assertEqual(srv["PLUGIN_GRPC_SERVER_AUTH_ENABLED"], "false")
        # A profile keeps the load generator out of a plain `up`.
        self.assertEqual(resolved["services"]["loadgen"].get("profiles"), ["load"])


class DockerfileTests(unittest.TestCase):

    def test_stages(self):
        st = stages(DOCKERFILE)
        pre = dict((w, r) for w, r in st[0][2])
        self.assertEqual(pre.get("ARG"), "BASE_IMAGE=debian:bookworm-slim")
        names = [s[0] for s in st[1:]]
        self.assertGreaterEqual(len(names), 2, "multi-stage")
        self.assertEqual(names[0], "build")
        for name, base, _ in st[1:]:
            self.assertEqual(base, "${BASE_IMAGE}", f"stage {name}")

    def test_runtime_stage(self):
        _, _, ins = stages(DOCKERFILE)[-1]
        words = [w for w, _ in ins]
        for w in ("USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT"):
            self.assertIn(w, words)
        user = [r for w, r in ins if w == "USER"][-1]
        self.assertNotIn(user, ("root", "0"))
        ports = " ".join(r for w, r in ins if w == "EXPOSE").split()
        self.assertEqual(sorted(ports), ["6565", "8000", "8080"])
        pkgs = apt_packages(ins)
        for p in ("liburing2", "libpq5", "libsimdjson14", "libprotobuf-c1", "libnghttp2-14",
                  "libbearssl0", "libstdc++6"):
            self.assertIn(p, pkgs)
        self.assertFalse([p for p in pkgs if p.endswith("-dev")], "no -dev packages at run time")

    def test_build_stage_has_setup_packages(self):
        """The build stage installs what scripts/setup installs to build."""
        wanted = setup_build_packages()
        self.assertIn("meson", wanted)
        got = apt_packages(stages(DOCKERFILE)[1][2])
        self.assertEqual([p for p in wanted if p not in got], [])

    def test_build_stage_copies_what_meson_reads(self):
        """Every top-level folder the root meson.build descends into, and the
        targets the stage builds, exist in what the stage copies."""
        ins = stages(DOCKERFILE)[1][2]
        copied = set()
        for w, rest in ins:
            if w == "COPY" and "--from" not in rest:
                copied |= {p.rstrip("/").split("/")[0] for p in rest.split()[:-1]}
        meson = read(os.path.join(REPO, "meson.build"))
        for sub in re.findall(r"subdir\('([^']+)'\)", meson):
            self.assertIn(sub.split("/")[0], copied, f"meson.build descends into {sub}")
        run = " ".join(r for w, r in ins if w == "RUN")
        for target in re.findall(r"ninja -C \S+ ([^&;]+)", run)[0].split():
            d, _, name = target.rpartition("/")
            mb = os.path.join(REPO, d, "meson.build")
            self.assertTrue(os.path.isfile(mb), f"ninja target {target}: no {mb}")
            self.assertRegex(read(mb), r"executable\(\s*'" + re.escape(name) + "'",
                             f"ninja target {target}")

    def test_copied_files_exist(self):
        for path, ctx in ((DOCKERFILE, REPO), (PG_DOCKERFILE, os.path.join(COMPOSE, "postgres"))):
            st = stages(path)
            names = {s[0] for s in st if s[0]}
            for _, _, ins in st:
                for w, rest in ins:
                    if w != "COPY":
                        continue
                    args = rest.split()
                    frm = [a for a in args if a.startswith("--from=")]
                    if frm:
                        self.assertIn(frm[0].split("=", 1)[1], names, rest)
                        continue
                    for src in args[:-1]:
                        with self.subTest(dockerfile=path, src=src):
                            self.assertTrue(os.path.exists(os.path.join(ctx, src)), src)

    def test_scripts(self):
        for rel in ("compose/healthcheck", "compose/postgres/entrypoint.sh", "compose/build"):
            path = os.path.join(REPO, rel)
            with self.subTest(script=rel):
                self.assertTrue(os.access(path, os.X_OK), f"{rel} is not executable")
                r = subprocess.run(["/bin/bash", "-n", path], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)


def daemon_problem():
    """None when a Docker daemon answers, else why not."""
    if not shutil.which("docker"):
        return "no docker client installed"
    try:
        r = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if r.returncode != 0 or not r.stdout.strip():
        return "no Docker daemon reachable (" + (r.stderr.strip().splitlines() or ["?"])[-1] + ")"
    return None


def local_base_image():
    """A Debian 12 image already present (nothing can be pulled here)."""
    wanted = [os.environ.get("BASE_IMAGE", ""), "local/debian:bookworm", "debian:bookworm-slim"]
    for image in filter(None, wanted):
        r = subprocess.run(["docker", "image", "inspect", image], capture_output=True, timeout=10)
        if r.returncode == 0:
            return image
    return None


def skip_class(why):
    # run.py prints no line for a skip raised in setUpClass: say why here.
    print(f"skip test_compose.ImageBuildTests: {why}", flush=True)
    raise unittest.SkipTest(why)


class ImageBuildTests(unittest.TestCase):
    """compose/build for real, when it can run here."""

    @classmethod
    def setUpClass(cls):
        if SANITIZED:
            skip_class("the images were built in the normal build's run")
        why = daemon_problem()
        if why:
            skip_class(why + "; the compose files were validated without one")
        cls.base = local_base_image()
        if not cls.base:
            skip_class("no Debian 12 base image present (compose/README.md: "
                       "debootstrap + docker import local/debian:bookworm)")
        # Its own process group, so a timeout stops docker and tar too (the
        # daemon cancels a build whose client went away).
        p = subprocess.Popen([os.path.join(COMPOSE, "build"), "--base-image", cls.base,
                              "--tag", TEST_TAG], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            skip_class(f"compose/build took over {BUILD_TIMEOUT}s (a cold cache); "
                       "run it by hand, or raise CHALLENGED_COMPOSE_BUILD_TIMEOUT")
        if p.returncode != 0:
            raise AssertionError("compose/build failed:\n" + out[-4000:])

    def run_in(self, image, *cmd):
        r = subprocess.run(["docker", "run", "--rm", "--entrypoint", cmd[0], image, *cmd[1:]],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_server_image(self):
        image = f"challenged:{TEST_TAG}"
        out = self.run_in(image, "sh", "-c",
                          "id -u; ldd /usr/local/bin/challenged /usr/local/bin/loadgen; "
                          "challenged --help >/dev/null && loadgen --help >/dev/null && "
                          "test -s /app/config/challenges.json && echo ok")
        self.assertNotEqual(out.split()[0], "0", "runs as a non-root user")
        self.assertNotIn("not found", out)
        self.assertTrue(out.rstrip().endswith("ok"), out)
        r = subprocess.run(["docker", "image", "inspect", image], capture_output=True, text=True,
                           timeout=10)
        cfg = json.loads(r.stdout)[0]["Config"]
        self.assertEqual(sorted(cfg["ExposedPorts"]), ["6565/tcp", "8000/tcp", "8080/tcp"])
        self.assertIn("Healthcheck", cfg)

    def test_postgres_image(self):
        out = self.run_in(f"challenged-postgres:{TEST_TAG}", "postgres", "--version")
        self.assertIn("PostgreSQL) 15", out)


if __name__ == "__main__":
    unittest.main()
