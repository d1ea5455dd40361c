"""Clients that are not retake.client: the Temporal CLI with plain JSON, and a Python
client with the SDK's default converter (what a TypeScript/Go/Java backend sees).

The worker is the real one (in-process, pydantic converter); the callers know only
docs/api.md. Each run's answer is checked against the published JSON Schema, the
workflow's own search attributes are found by job, and a start under any other
workflow id is refused before anything is paid. With RETAKE_RECORD_HISTORIES=1 the
runs' histories are saved for the replay tests (tests/record_histories.py).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from retake.embedded import temporal_cli_path
from tests.support.subprocess_env import scrubbed_env
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import record, versions
from workflows import conventions, error_types
from workflows.conventions import workflow_id_for
from workflows.models import RegenerateClipResult

API = Path(__file__).resolve().parent.parent / "docs" / "api"
FAST = {"poll_interval_seconds": 0.2, "deadline_seconds": 120}


def published(name: str) -> dict:
    return json.loads((API / f"{name}.schema.json").read_text())


def plain_input(job_id, clip: int, instruction: str) -> dict:
    return {"job_id": str(job_id), "clip_index": clip, "instruction": instruction, "options": FAST}


@pytest.fixture
def veo(fresh_veo_emulator):
    return fresh_veo_emulator  # counts this test's paid submissions


@pytest.fixture
def target(temporal_client: Client) -> str:
    return temporal_client.service_client.config.target_host


@pytest.fixture
def cli(target: str, tmp_path: Path):
    """`await cli("workflow", "start", ...)` runs the bundled `temporal` CLI.

    Scrubbed environment (no TEMPORAL_* variables, an empty HOME): it knows only the
    server address, as a backend in another language would.
    """
    home = tmp_path / "home"
    home.mkdir()
    env = scrubbed_env(HOME=str(home))

    async def _run(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            temporal_cli_path(), *args, "--address", target, "--namespace", "default",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode, out.decode(), err.decode()

    return _run


@pytest.fixture
async def plain_client(target: str) -> Client:
    """The SDK's default data converter: no pydantic, dicts in and out."""
    return await Client.connect(target, namespace="default")


async def found_by_job(client: Client, job_id, clip: int) -> list[str]:
    """Workflow ids listed by the search attributes (visibility is eventually consistent)."""
    query = f'JobId = "{job_id}" AND ClipIndex = {clip}'
    async with asyncio.timeout(30):
        while True:
            ids = [w.id async for w in client.list_workflows(query)]
            if ids:
                return ids
            await asyncio.sleep(0.2)


def event_types(history) -> set:
    return {event.event_type for event in history.events}


async def test_cli_start_with_plain_json_completes_and_is_found_by_job(
    temporal_client, plain_client, cli, task_queue, run_worker, tmp_path, sample_job_id,
    db_pool, veo,
):
    workflow_id = f"regenerate-{sample_job_id}-2"
    payload = json.dumps(plain_input(sample_job_id, 2, "make it a bit brighter"))
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        code, out, err = await cli(
            "workflow", "start", "--type", "RegenerateClipWorkflow", "--task-queue", task_queue,
            "--workflow-id", workflow_id, "--input", payload,
        )
        assert code == 0, err
        code, out, err = await cli("workflow", "result", "--workflow-id", workflow_id, "-o", "json")
        assert code == 0, err
    result = json.loads(out)["result"]

    jsonschema.validate(result, published("RegenerateClipResult"))
    assert result["status"] == "completed" and result["version"] == 2
    assert result["job_id"] == str(sample_job_id) and result["clip_index"] == 2
    assert veo.counters()["submissions_accepted"] == 1
    rows = await versions(db_pool, sample_job_id, 2)
    assert [r["version_number"] for r in rows] == [1, 2]
    assert rows[1]["video_url"] == result["video_url"]

    # The CLI set no search attributes: the workflow set its own, and the run is found by job.
    handle = plain_client.get_workflow_handle(workflow_id)
    desc = await handle.describe()
    assert desc.typed_search_attributes[conventions.JOB_ID] == str(sample_job_id)
    assert desc.typed_search_attributes[conventions.CLIP_INDEX] == 2
    history = await handle.fetch_history()
    assert EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES in event_types(history)
    assert await found_by_job(plain_client, sample_job_id, 2) == [workflow_id]
    code, out, err = await cli(
        "workflow", "list", "--query", f'JobId = "{sample_job_id}"', "-o", "json"
    )
    assert code == 0, err
    assert [w["execution"]["workflowId"] for w in json.loads(out)] == [workflow_id]
    await record(handle, "cli_plain_json")


async def test_default_converter_client_sends_a_dict_and_reads_a_dict(
    plain_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    assert "pydantic" not in type(plain_client.data_converter.payload_converter).__module__
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await plain_client.start_workflow(
            "RegenerateClipWorkflow",
            plain_input(sample_job_id, 4, "make it nighttime"),
            id=workflow_id_for(sample_job_id, 4),
            task_queue=task_queue,
        )
        result = await handle.result()
        progress = await handle.query("progress")

    assert isinstance(result, dict)
    jsonschema.validate(result, published("RegenerateClipResult"))
    assert RegenerateClipResult.model_validate(result).version == 2  # the same JSON the SDK reads
    assert result["status"] == "completed" and result["template_id"] == "nighttime"
    assert isinstance(result["cost_estimate_usd"], str)  # a decimal, sent as a string
    jsonschema.validate(progress, published("Progress"))
    assert progress["stage"] == "completed"
    assert veo.counters()["submissions_accepted"] == 1
    assert [r["version_number"] for r in await versions(db_pool, sample_job_id, 4)] == [1, 2]
    assert await found_by_job(plain_client, sample_job_id, 4) == [handle.id]
    await record(handle, "plain_client")


async def test_start_under_another_workflow_id_is_refused_before_anything_is_paid(
    plain_client, cli, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    payload = json.dumps(plain_input(sample_job_id, 2, "make it a bit brighter"))
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        code, _, err = await cli(
            "workflow", "start", "--type", "RegenerateClipWorkflow", "--task-queue", task_queue,
            "--workflow-id", "cli-client-test-1", "--input", payload,
        )
        assert code == 0, err  # the server accepts any id; the workflow refuses it
        handle = plain_client.get_workflow_handle("cli-client-test-1")
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()

    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.INVALID_INPUT
    assert cause.non_retryable
    assert f"'{workflow_id_for(sample_job_id, 2)}'" in cause.message  # the id to use
    history = await handle.fetch_history()
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in event_types(history)
    assert "core_local_activity" not in {
        e.marker_recorded_event_attributes.marker_name for e in history.events
    }
    assert veo.counters()["submit_requests"] == 0
    assert await versions(db_pool, sample_job_id, 2) == []
    # Still found by job, so the refused start is visible next to the clip's other runs.
    assert await found_by_job(plain_client, sample_job_id, 2) == ["cli-client-test-1"]
    await record(handle, "refused_workflow_id")
