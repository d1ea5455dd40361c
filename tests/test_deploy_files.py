"""docker-compose.yml, the Dockerfile and .env.example, read as an operator's server would run them.

Docker cannot run here, so the files are parsed: no port published on every interface,
no secret written into them, images by exact version, a non-root image that installs
from the hashed lock. The Postgres init script runs for real against a private server.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pgserver
import pytest
import yaml

from activities.postgres.dsn import dsn_passwords
from tests.support.subprocess_env import scrubbed_env

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "::1", "[::1]", "localhost"}
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|DATABASE_URL", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?-][^}]*)?\}")


def compose(text: str | None = None) -> dict:
    return yaml.safe_load(text if text is not None else (ROOT / "docker-compose.yml").read_text())


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def exposed_ports(spec: dict) -> list[str]:
    """'<service>: <port>' for every port published beyond this machine."""
    found = []
    for name, service in spec["services"].items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                host_ip = port.get("host_ip")
            else:
                text = str(port)
                host_ip = text.rsplit(":", 2)[0] if text.count(":") >= 2 else None
            if host_ip not in LOOPBACK:
                found.append(f"{name}: {port}")
    return found


def secret_literals(spec: dict) -> list[str]:
    """'<service>: <variable>' for every secret written into the file, not interpolated."""
    found = []
    for name, service in spec["services"].items():
        for key, value in environment(service).items():
            if not SECRET_KEY.search(key):
                continue
            if "://" in value:  # a URL: its password must come from the environment
                placeholder = INTERPOLATION.sub("INTERPOLATED", value)
                if any(p != "INTERPOLATED" for p in dsn_passwords(placeholder)):
                    found.append(f"{name}: {key}")
            elif INTERPOLATION.sub("", value).strip():
                found.append(f"{name}: {key}")
    return found


def env_files(spec: dict) -> list[str]:
    files = []
    for service in spec["services"].values():
        entry = service.get("env_file") or []
        for item in [entry] if isinstance(entry, (str, dict)) else entry:
            files.append(item["path"] if isinstance(item, dict) else item)
    return files


INSECURE = """
services:
  temporal: {image: "temporalio/temporal:1.9.1", ports: ["7233:7233", "0.0.0.0:8233:8233"]}
  postgres:
    image: postgres:16
    environment: {POSTGRES_PASSWORD: retake}
    ports: [{target: 5432, published: 5432}]
  worker:
    build: .
    env_file: .env.example
    environment: {DATABASE_URL: "postgresql://retake:retake@postgres:5432/retake"}
"""


def test_the_checks_catch_what_the_issue_found() -> None:
    """The checks below can fail: the compose file this issue started from fails all of them."""
    spec = compose(INSECURE)
    assert len(exposed_ports(spec)) == 3
    assert secret_literals(spec) == ["postgres: POSTGRES_PASSWORD", "worker: DATABASE_URL"]
    assert env_files(spec) == [".env.example"]


def test_no_port_is_published_beyond_this_machine_and_postgres_not_at_all() -> None:
    spec = compose()
    assert exposed_ports(spec) == []
    assert not spec["services"]["postgres"].get("ports")
    assert not spec["services"]["worker"].get("ports")


def test_no_secret_is_written_into_the_compose_file() -> None:
    spec = compose()
    assert secret_literals(spec) == []
    assert ".env.example" not in env_files(spec)  # the template is never loaded
    raw = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"://[^/\s:@]+:(?!\$\{)[^@\s]+@", raw)  # no literal URL password


def test_the_worker_gets_its_own_login_and_no_other_password() -> None:
    services = compose()["services"]
    worker, migrate = environment(services["worker"]), environment(services["migrate"])
    assert urlsplit(worker["DATABASE_URL"]).username == "retake_app"
    assert urlsplit(migrate["RETAKE_MIGRATION_DATABASE_URL"]).username == "retake_owner"
    assert "--grant-to" in services["migrate"]["command"]
    assert not any("OWNER" in v or "POSTGRES_PASSWORD" in v for v in worker.values())
    assert services["worker"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"


def test_images_are_pinned_to_exact_versions() -> None:
    images = [s["image"] for s in compose()["services"].values() if "image" in s]
    froms = re.findall(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    for image in images + froms:
        tag = image.split("@")[0].rpartition(":")[2]
        assert "@sha256:" in image or re.match(r"^\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$", tag), image


def test_the_image_runs_unprivileged_from_the_hashed_lock_without_embedded_postgres() -> None:
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    installs = re.findall(r"pip install[^\n]*", text)
    assert any("--require-hashes" in i and "requirements.lock" in i for i in installs)
    assert all("--require-hashes" in i or "--no-index" in i for i in installs), installs
    assert "RETAKE_EMBEDDED_POSTGRES=false" in text


def test_env_example_holds_no_secret_and_env_stays_out_of_git_and_images() -> None:
    for line in (ROOT / ".env.example").read_text().splitlines():
        key, eq, value = line.partition("=")
        if eq and not key.startswith("#") and SECRET_KEY.search(key):
            assert value.strip() == "", f".env.example sets {key}"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()


def socket_dsn(dsn: str, *, user: str, password: str = "", database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@", path=f"/{database}"))


async def test_the_postgres_init_script_makes_the_two_logins(private_postgres, tmp_path) -> None:
    """deploy/postgres-init run as the official image runs it (psql as the superuser), then
    `starter.py migrate` as retake_owner: retake_app reads and writes, changes nothing else."""
    dsn = private_postgres.start()
    socket_dir = dict(p.split("=", 1) for p in urlsplit(dsn).query.split("&"))["host"]
    psql_dir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    env = {**os.environ, "PATH": f"{psql_dir}:{os.environ['PATH']}", "PGHOST": socket_dir,
           "POSTGRES_USER": "postgres", "RETAKE_OWNER_PASSWORD": "owner-pw-1",
           "RETAKE_APP_PASSWORD": "app-pw-2"}
    script = ROOT / "deploy" / "postgres-init" / "10-retake-roles.sh"
    done = subprocess.run(["sh", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    owner = socket_dsn(dsn, user="retake_owner", password="owner-pw-1", database="retake")
    migrated = await asyncio.to_thread(
        subprocess.run, [sys.executable, "starter.py", "migrate", "--grant-to", "retake_app"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=scrubbed_env(RETAKE_MIGRATION_DATABASE_URL=owner))
    assert migrated.returncode == 0, migrated.stderr
    assert "owner-pw-1" not in migrated.stdout + migrated.stderr

    conn = await asyncpg.connect(socket_dsn(dsn, user="retake_app", password="app-pw-2",
                                            database="retake"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") > 0
        await conn.execute("INSERT INTO jobs (id) VALUES (gen_random_uuid())")
        for ddl in ("CREATE TABLE t (id int)", "CREATE TEMP TABLE t (id int)",
                    "DROP TABLE clip_versions", "DELETE FROM jobs"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(ddl)
    finally:
        await conn.close()
