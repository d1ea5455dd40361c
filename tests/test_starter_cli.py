"""starter.py as a person runs it: a real subprocess against the test dev server."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import psutil
import pytest

from tests.support.subprocess_env import scrubbed_env
from tests.support.temporal import retake_settings

ROOT = Path(__file__).resolve().parent.parent


async def starter(*args: str, stdin: str = "", env: dict | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "starter.py", *args,
        cwd=ROOT,
        env=scrubbed_env(**(env or {})),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=120)
    return proc.returncode, out.decode(), err.decode()


async def test_plan_offline_reads_json_lines_and_needs_no_services():
    lines = [
        {"instruction": "make it nighttime", "prompt": "A band plays on a rooftop at sunset",
         "original_seed": 42},
        {"instruction": "keep everything the same but change the car to blue",
         "prompt": "A red car on a coastal road", "original_seed": 7},
        {"instruction": "completely regenerate", "prompt": "A dancer in a studio",
         "original_seed": None},
    ]
    code, out, err = await starter(
        "plan", "--offline", stdin="\n".join(json.dumps(x) for x in lines),
        env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "TEMPORAL_ADDRESS": "127.0.0.1:1"},
    )
    assert code == 0, err
    plans = [json.loads(line) for line in out.splitlines()]
    assert [p["template_id"] for p in plans] == ["nighttime", None, None]
    assert "sunset" not in plans[0]["prompt"] and plans[0]["seed_reused"] is False
    assert plans[1]["temperature"] < 0.5 and plans[1]["seed"] == 7 and plans[1]["seed_reused"]
    assert plans[2]["temperature"] >= 0.8 and isinstance(plans[2]["seed"], int)


async def test_plan_offline_reports_a_bad_line_and_plans_the_rest():
    code, out, err = await starter(
        "plan", "--offline",
        stdin='not json\n{"instruction": "make it darker", "prompt": "A street at noon"}\n',
    )
    assert code == 2
    assert len(out.splitlines()) == 1 and json.loads(out)["template_id"] == "darker"
    assert json.loads(err) == {"line": 1, "error": json.loads(err)["error"]} and "JSON" in err


def cli_env(temporal_client, task_queue: str) -> dict:
    return {
        "TEMPORAL_ADDRESS": temporal_client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
        "RETAKE_TASK_QUEUE": task_queue,
    }


async def test_regenerate_dry_run_then_real_run_then_status(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    env, job = cli_env(temporal_client, task_queue), str(sample_job_id)
    async with run_worker(retake_settings(tmp_path)):
        code, out, err = await starter("regenerate", job, "2", "make it nighttime", "--dry-run",
                                       "--json", env=env)
        assert code == 0, err
        planned = json.loads(out)
        assert planned["status"] == "planned" and planned["template_id"] == "nighttime"
        assert float(planned["cost_estimate_usd"]) > 0

        code, out, err = await starter("regenerate", job, "2", "make it nighttime",
                                       "--poll-interval", "0.2", env=env)
        assert code == 0, err
        assert "completed" in out and "version:      2" in out and "preview, not Veo" in out
        assert "8 s generated, 8 s delivered" in out  # clip 2: an 8 s slot, with references

        code, out, err = await starter("status", f"regenerate-{job}-2", "--json", env=env)
        assert code == 0, err
        assert json.loads(out)["version"] == 2 and "COMPLETED" in err

        code, out, err = await starter("regenerate", job, "99", "make it nighttime", env=env)
        assert code == 1 and "ClipNotFound" in err and "99" in err


async def test_plan_revise_confirm_and_cancel_from_the_command_line(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    env, job = cli_env(temporal_client, task_queue), str(sample_job_id)
    async with run_worker(retake_settings(tmp_path)):
        code, out, err = await starter("plan", job, "2", "make it nighttime",
                                       "--poll-interval", "0.2", env=env)
        assert code == 0, err
        assert "plan revision 1 (awaiting confirmation)" in out and "nothing paid yet" in out
        assert "template 'nighttime'" in out and "band medium_high" in out
        assert f"starter.py confirm {job} 2 --revision 1" in out

        code, out, err = await starter("revise", job, "2", "make it darker", "--json", env=env)
        assert code == 0, err
        assert json.loads(out)["revision"] == 2 and json.loads(out)["plan"]["template_id"] == "darker"

        code, out, err = await starter("confirm", job, "2", "--revision", "1", env=env)
        assert code == 1 and "confirm refused: UpdateNotAllowed" in err and "revision 2" in err
        code, out, err = await starter("confirm", job, "2", "--revision", "2", env=env)
        assert code == 0, err
        assert "completed" in out and "version:      2" in out

        code, out, err = await starter("plan", job, "4", "make it brighter", env=env)
        assert code == 0, err
        code, out, err = await starter("cancel", job, "4", env=env)
        assert code == 0 and "(cancelled)" in out, err
    paid = await db_pool.fetchval(
        "SELECT count(*) FROM veo_submissions WHERE job_id = $1", sample_job_id)
    assert paid == 1  # the confirmed plan only (preview backend's ledger)
    rows = await db_pool.fetch("SELECT clip_index FROM clip_versions WHERE job_id = $1 "
                               "AND regeneration_id IS NOT NULL", sample_job_id)
    assert [r["clip_index"] for r in rows] == [2]


async def test_versions_and_revert_from_the_command_line(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    env, job = cli_env(temporal_client, task_queue), str(sample_job_id)
    async with run_worker(retake_settings(tmp_path)):
        code, out, err = await starter("regenerate", job, "3", "make it nighttime",
                                       "--poll-interval", "0.2", env=env)
        assert code == 0, err
        code, out, err = await starter("versions", job, "3", env=env)
        assert code == 0, err
        assert "2 versions" in out and "* v2" in out and "asked:  make it nighttime" in out
        assert "asked:  (original)" in out and "cost $" in out

        code, out, err = await starter("revert", job, "3", "1", env=env)
        assert code == 0, err
        assert "version 1 is current (was 2)" in out
        code, out, err = await starter("versions", job, "3", "--json", env=env)
        listed = json.loads(out)
        assert [v["current"] for v in listed["versions"]] == [True, False]
        assert listed["reverts"][0]["to_version"] == 1

        code, out, err = await starter("status", f"regenerate-{job}-3", env=env)
        assert code == 0 and "RevertClipWorkflow" in out and '"version": 1' in out, err

        code, out, err = await starter("revert", job, "3", "9", env=env)
        assert code == 1 and "revert failed: VersionNotFound" in err


async def test_batch_plan_then_confirm_from_the_command_line(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    env, job = cli_env(temporal_client, task_queue), str(sample_job_id)
    async with run_worker(retake_settings(tmp_path)):
        code, out, err = await starter("batch", job, "make it darker", "--clips", "0,2",
                                       "--poll-interval", "0.2", env=env)
        assert code == 0, err
        assert "awaiting confirmation, 2 clips, total $" in out and "nothing paid yet" in out
        assert "clip 0: planned" in out and "clip 2: planned" in out

        code, out, err = await starter("confirm", job, "batch", env=env)
        assert code == 0, err
        assert "finished" in out and "clip 0: completed" in out and "-> version 2" in out

        code, out, err = await starter("batch", job, "--clip", "1=make it nighttime", env=env)
        assert code == 0 and "clip 1: planned" in out, err
        code, out, err = await starter("cancel", job, "batch", env=env)
        assert code == 0 and "clip 1: not_run" in out, err
    rows = await db_pool.fetch("SELECT clip_index FROM clip_versions WHERE job_id = $1 "
                               "AND regeneration_id IS NOT NULL ORDER BY clip_index", sample_job_id)
    assert [r["clip_index"] for r in rows] == [0, 2]


def leftovers(data_dir: Path, port: int) -> list[str]:
    """Processes the demo started that are still alive: its dev server and its Postgres."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if ("temporal" in cmd and f"--port {port}" in cmd) or (
            "postgres" in cmd and str(data_dir / "postgres") in cmd
        ):
            found.append(f"{proc.pid}: {cmd[:120]}")
    return found


async def demo(data_dir: Path, *extra: str) -> tuple[asyncio.subprocess.Process, int]:
    from tests.test_worker_process import free_port

    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "starter.py", "demo", "--port", str(port),
        "--ui-port", str(free_port()), *extra,
        cwd=ROOT, env=scrubbed_env(RETAKE_DATA_DIR=str(data_dir)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    return proc, port


async def test_demo_runs_the_main_job_on_the_embedded_default(postgres_root):
    """`starter.py demo` with no settings: its own Postgres, dev server, worker; clip 3."""
    data_dir = postgres_root / "demo-data"  # pgserver's user must reach it (not tmp_path)
    proc, port = await demo(data_dir)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
    out = out.decode()
    assert proc.returncode == 0, out + err.decode()
    assert "offline planner (no OpenAI key)" in out and "preview, not Veo" in out
    assert "clip 3 of job 550e8400-e29b-41d4-a716-446655440000: completed" in out
    assert "template 'nighttime'" in out and "fresh seed" in out  # clip 3 has no stored seed
    stored = next(line.split(": ", 1)[1] for line in out.splitlines()
                  if line.startswith("stored video: "))
    assert Path(stored).is_file() and str(data_dir) in stored
    assert "Web UI: http://localhost:" in out
    assert leftovers(data_dir, port) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_a_stopped_demo_leaves_no_process_behind(postgres_root, sig):
    """Also the two-step demo (--confirm): it prints the plan, then confirms and completes."""
    data_dir = postgres_root / "demo-data"
    proc, port = await demo(data_dir, "--keep-running", "--confirm")
    printed = []
    async with asyncio.timeout(180):
        while b"keep running" not in (line := await proc.stdout.readline()):
            assert line, (await proc.stderr.read()).decode()
            printed.append(line.decode())
        assert leftovers(data_dir, port)  # the server and Postgres are up
        text = "".join(printed)
        assert text.index("plan revision 1 (awaiting confirmation)") < text.index(
            "confirmed revision 1") < text.index(": completed")
        assert "nothing paid yet" in text
        proc.send_signal(sig)
        await proc.wait()
    assert proc.returncode == 130
    assert leftovers(data_dir, port) == []
