"""starter.py's answers to a chatbot-style misuse: one line and a documented exit code
(starter.py's docstring), never a traceback (issue #31, point 2)."""

from __future__ import annotations

from tests.support.temporal import retake_settings
from tests.test_starter_cli import cli_env, starter


async def test_calls_on_an_ended_or_missing_run_and_a_second_plan_answer_in_one_line(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id
):
    env, job = cli_env(temporal_client, task_queue), str(sample_job_id)
    async with run_worker(retake_settings(tmp_path)):
        code, out, err = await starter("plan", job, "2", "make it nighttime", env=env)
        assert code == 0, err
        code, out, err = await starter("plan", job, "2", "make it brighter", env=env)
        assert code == 2 and err.startswith("ClipBusy:") and "revision 1" in err
        code, out, err = await starter("cancel", job, "2", env=env)
        assert code == 0, err
        for command in ("confirm", "cancel"):
            code, out, err = await starter(command, job, "2", env=env)
            assert code == 4, err
            assert err.strip().startswith("PlanCancelled: Cannot") and "nothing was paid" in err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        code, out, err = await starter("confirm", job, "1", env=env)  # never planned
        assert code == 5 and "Traceback" not in err and len(err.strip().splitlines()) == 1
