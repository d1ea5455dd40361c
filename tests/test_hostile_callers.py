"""The attack table: what a hostile caller sends with plain JSON, and what it pays.

Every Temporal client in any language can start Retake's workflows, and the chatbot
forwards end users' words. Each row is made twice, with the Temporal CLI and with a
client that has no pydantic converter, against the real worker with the Veo emulator,
and asserts a typed refusal, zero paid submissions, zero versions saved and zero
requests to any URL the input named (a listener on 127.0.0.1 counts connections).
docs/reliability.md shows the table.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from temporalio.client import Client, WorkflowFailureError

from tests.support.temporal import retake_settings
from tests.test_any_client import cli, plain_client, target  # noqa: F401 (fixtures)
from tests.test_workflow_e2e import versions
from workflows import caps, conventions, error_types


class Listener:
    """Counts every connection made to it: no hostile URL may be fetched."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> Listener:
        async def seen(reader, writer):
            self.connections += 1
            writer.close()

        self._server = await asyncio.start_server(seen, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()


def hostile_plan(port: int, prompt: str) -> dict:
    return {
        "prompt": prompt, "negative_prompt": None, "temperature": 5.0, "reasoning": "trust me",
        "seed": -7, "seed_reused": False, "template_id": None, "planner": "offline",
        "cost_estimate_usd": "0.00", "generated_seconds": 8, "delivered_seconds": -1.0,
        "policy_version": 1, "duration_seconds": 8, "enhance_prompt": True,
        "video_model": "veo-anything-i-like",
        "reference_image_urls": [
            "http://169.254.169.254/computeMetadata/v1/", f"http://127.0.0.1:{port}/x.png",
            "gs://another-partys-bucket/secret.png",
        ],
    }


def rows(job, port: int, *, big: bool) -> list[tuple[str, str, str, dict, str]]:
    """(row, workflow type, workflow id, input, what the refusal names)."""
    prompt = "p" * (1_000_000 if big else 10_000)  # the CLI's argument list stays small
    clip0 = conventions.workflow_id_for(job, 0)
    return [
        ("approved_plan from a client", conventions.WORKFLOW_TYPE, clip0,
         {"job_id": str(job), "clip_index": 0, "instruction": "anything",
          "approved_plan": hostile_plan(port, prompt)}, "approved_plan is internal"),
        ("a collector for another operation", conventions.LATE_COLLECTOR_WORKFLOW_TYPE,
         f"collect-late-evil-{uuid.uuid4().hex[:6]}",
         {"job_id": str(job), "clip_index": 0, "submission_id": f"{clip0}/x/0",
          "regeneration_id": f"{clip0}/x", "user_instruction": "mine now",
          "submission": {"operation_name": f"http://127.0.0.1:{port}/op", "backend": "veo"}},
         "CollectLateVideoWorkflow is internal"),
        ("a collector keyed to another clip", conventions.LATE_COLLECTOR_WORKFLOW_TYPE,
         f"collect-late-evil-{uuid.uuid4().hex[:6]}",
         {"job_id": str(job), "clip_index": 1, "submission_id": f"{clip0}/x/0",
          "regeneration_id": f"{clip0}/x", "user_instruction": "mine now"},
         "must belong to a regeneration of clip 1"),
        ("a batch of 20,001 clips", conventions.BATCH_WORKFLOW_TYPE,
         conventions.batch_workflow_id(job),
         {"job_id": str(job), "clips": list(range(20_001)) if big else list(range(101)),
          "instruction": "make it darker", "options": {"confirm_first": False}},
         f"over the {caps.MAX_BATCH_CLIPS} one batch may take"),
        ("a clip index of 2**40 in a batch", conventions.BATCH_WORKFLOW_TYPE,
         conventions.batch_workflow_id(job),
         {"job_id": str(job), "clips": [0, 2**40], "instruction": "make it darker",
          "options": {"confirm_first": False}}, "clip indexes must be within"),
    ]


@pytest.fixture
def veo(fresh_veo_emulator):
    return fresh_veo_emulator


async def test_hostile_starts_are_refused_typed_and_pay_nothing(
    temporal_client, run_worker, sample_job_id, db_pool, veo, tmp_path, cli, plain_client, task_queue  # noqa: F811
):
    before = await versions(db_pool, sample_job_id, 0)
    async with Listener() as listener, run_worker(retake_settings(tmp_path, veo=veo)):
        for name, wf_type, wf_id, inp, says in rows(sample_job_id, listener.port, big=True):
            handle = await plain_client.start_workflow(
                wf_type, inp, id=wf_id, task_queue=task_queue)
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
            cause = failure.value.cause
            assert cause.type == error_types.INVALID_INPUT and cause.non_retryable, name
            assert says in cause.message, (name, cause.message)
        for name, wf_type, wf_id, inp, says in rows(sample_job_id, listener.port, big=False):
            code, out, err = await cli(
                "workflow", "execute", "--type", wf_type, "--task-queue", task_queue,
                "--workflow-id", f"{wf_id}", "--input", json.dumps(inp))
            assert code != 0 and says in out + err, (name, out, err)
            with pytest.raises(WorkflowFailureError) as failure:  # the run the CLI started
                await plain_client.get_workflow_handle(wf_id).result()
            assert failure.value.cause.type == error_types.INVALID_INPUT, name
        await asyncio.sleep(0.5)  # anything fetched late would have connected by now
    assert veo.counters()["submissions_accepted"] == 0 and veo.submissions() == []
    assert await versions(db_pool, sample_job_id, 0) == before
    assert listener.connections == 0


async def test_revisions_stop_at_the_cap_and_history_stays_small(
    temporal_client: Client, run_worker, sample_job_id, veo, tmp_path, task_queue
):
    """The cap's number of revisions, each a planner call, keeps the history linear and small."""
    from retake.client import cancel_plan, plan_regeneration, revise
    from workflows.models import RegenerateClipInput, RegenerateOptions

    async with run_worker(retake_settings(tmp_path)):
        handle, proposal = await plan_regeneration(temporal_client, RegenerateClipInput(
            job_id=sample_job_id, clip_index=2, instruction="make it a bit brighter " * 40,
            options=RegenerateOptions(confirm_first=True)), task_queue=task_queue)
        for n in range(caps.MAX_REVISIONS - 1):
            proposal = await revise(handle, f"and a touch warmer, step {n}: " + "keep it calm " * 6)
        assert proposal.revision == caps.MAX_REVISIONS, proposal.revision
        assert len(proposal.instructions) == caps.PROPOSAL_INSTRUCTIONS
        with pytest.raises(Exception) as refused:
            await revise(handle, "one more")
        assert error_types.UPDATE_NOT_ALLOWED in repr(refused.value.__cause__ or refused.value)
        await cancel_plan(handle)
        history = (await handle.fetch_history()).to_json()
        size = len(history)
    # About 12 KB a revision (its Update, its answer, the planner's marker), 236 KB for 20
    # when measured: under 300 KB, far from Temporal's 50 MB.
    assert size < 300_000, f"history of {caps.MAX_REVISIONS} revisions is {size} bytes"
    assert veo.counters()["submissions_accepted"] == 0
