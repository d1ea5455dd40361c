"""RegenerateClipWorkflow end to end: dev server, real Postgres, real SDK clients on emulators.

Each test runs an in-process worker on its own task queue against the session's
Temporal dev server, a fresh copy of the sample job, and the OpenAI / Vertex Veo
emulators. With RETAKE_RECORD_HISTORIES=1 (see tests/record_histories.py) each
scenario's history is saved to tests/histories/ for the replay tests.
"""

from __future__ import annotations

import asyncio
import json
import os
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError, CancelledError, WorkflowAlreadyStartedError

from retake.client import pending_polls, start_regeneration
from tests.emulators.media import probe
from tests.emulators.veo_emulator import DEFAULT_FILTER_REASONS
from tests.support.temporal import retake_settings
from workflows import error_types
from workflows.decisions.sanitise import sanitise_prompt
from workflows.models import (
    ChatMessage,
    PlannerKind,
    RegenerateClipInput,
    RegenerateClipResult,
    RegenerateOptions,
)
from workflows.regenerate_clip import RegenerateClipWorkflow

HISTORIES = Path(__file__).parent / "histories"
FAST = RegenerateOptions(poll_interval_seconds=0.2, deadline_seconds=120)

# Every test ends with one current version per clip of the sample job, shown by the
# clip's entry (tests/support/postgres.py; issue 35).
pytestmark = pytest.mark.usefixtures("one_current_version_per_clip")


def request(job_id: UUID, clip: int, instruction: str, **options) -> RegenerateClipInput:
    return RegenerateClipInput(
        job_id=job_id,
        clip_index=clip,
        instruction=instruction,
        conversation=[ChatMessage(role="user", content=f"about clip {clip}")],
        options=FAST.model_copy(update=options),
    )


async def record(handle: WorkflowHandle, name: str) -> None:
    """Save the history for replay tests when asked to (tests/record_histories.py)."""
    if os.environ.get("RETAKE_RECORD_HISTORIES"):
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())


async def run(client, task_queue, inp, name: str) -> RegenerateClipResult:
    handle = await start_regeneration(client, inp, task_queue=task_queue)
    try:
        return await handle.result()
    finally:
        await record(handle, name)


async def versions(db_pool, job_id: UUID, clip: int) -> list[dict]:
    rows = await db_pool.fetch(
        "SELECT version_number, video_url, prompt, generation_seed, temperature, is_current,"
        " user_instruction FROM clip_versions WHERE job_id = $1 AND clip_index = $2"
        " ORDER BY version_number",
        job_id,
        clip,
    )
    return [dict(r) for r in rows]


async def clip_entries(db_pool, job_id: UUID) -> list[dict]:
    """The video_generator stage's clips, as the pipeline stores them."""
    metadata = await db_pool.fetchval(
        "SELECT metadata FROM job_stages WHERE job_id = $1 AND stage_name = 'video_generator'",
        job_id,
    )
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    return metadata["clips"]["clips"]


@pytest.fixture
def veo(veo_emulator):
    veo_emulator.reset()
    # Done at the first check (tests that wait set a job time); real OAuth tokens only.
    veo_emulator.configure(job_seconds=0.0, static_token=False)
    return veo_emulator


async def serve_references_from(veo, db_pool, job_id: UUID) -> None:
    """Point the sample job's reference images at the emulator (the sample's own host,
    storage.example.com, is unreachable), so they really reach Veo."""
    await db_pool.execute(
        "UPDATE job_stages SET metadata = replace(metadata::text, $2, $3)::jsonb"
        " WHERE job_id = $1",
        job_id, f"https://storage.example.com/jobs/{job_id}/refs/",
        veo.asset_url(""),
    )


@pytest.fixture
def llm(openai_emulator):
    openai_emulator.reset()
    return openai_emulator


async def test_template_path_generates_stores_and_persists_one_version(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo, llm
):
    before = await clip_entries(db_pool, sample_job_id)
    async with run_worker(retake_settings(tmp_path, openai=llm, veo=veo)):
        result = await run(
            temporal_client, task_queue, request(sample_job_id, 2, "make it nighttime"), "template"
        )

    assert result.status == "completed" and result.planner == PlannerKind.TEMPLATE
    assert result.template_id == "nighttime"
    assert 0.70 <= result.temperature <= 0.80 and not result.seed_reused
    assert "sunset" not in result.prompt.lower()  # replaced, not contradicted
    assert llm.counters()["total"] == 0  # a template needs no LLM call
    assert veo.counters()["submissions_accepted"] == 1
    assert result.video_backend == "veo" and result.video_url.startswith("file://")
    assert Path(result.video_url[len("file://") :]).stat().st_size > 0

    rows = await versions(db_pool, sample_job_id, 2)
    assert [r["version_number"] for r in rows] == [1, 2]
    assert [r["is_current"] for r in rows] == [False, True]
    assert rows[1]["generation_seed"] == result.seed and rows[1]["video_url"] == result.video_url

    after = await clip_entries(db_pool, sample_job_id)
    assert after[2]["video_url"] == result.video_url
    assert after[2]["metadata"]["generation_seed"] == result.seed
    # the entry describes the new clip (docs/data.md): this generation's length, cost, time
    assert after[2]["actual_duration"] == 8.0 and after[2]["status"] == "success"
    assert Decimal(after[2]["cost"]) == result.cost_estimate_usd
    assert after[2]["generation_time"] == result.timings.generate
    assert [c for i, c in enumerate(after) if i != 2] == [
        c for i, c in enumerate(before) if i != 2
    ]  # no other clip touched


async def test_llm_path_sends_context_and_uses_the_reply(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo, llm
):
    async with run_worker(retake_settings(tmp_path, openai=llm, veo=veo)):
        result = await run(
            temporal_client,
            task_queue,
            request(sample_job_id, 1, "give her a green umbrella and make the sign blue"),
            "llm",
        )
    assert result.planner == PlannerKind.LLM and result.template_id is None
    assert llm.counters()["total"] == 1
    sent = str(llm.last_request())
    assert "green umbrella" in sent and "pink neon sign" in sent  # instruction + original prompt
    assert veo.counters()["submissions_accepted"] == 1
    assert result.version == 2


async def test_offline_planner_and_preview_backend_without_keys(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    async with run_worker(retake_settings(tmp_path)):
        result = await run(
            temporal_client,
            task_queue,
            request(sample_job_id, 4, "completely regenerate this scene"),
            "offline",
        )
    assert result.planner == PlannerKind.OFFLINE
    assert result.temperature >= 0.8
    assert result.video_backend == "preview"
    # The preview follows Veo's catalogue: clip 4 has references, so 8 s is rendered and
    # the stored video is cut to the clip's 6 s (within one frame at the preview's 12 fps).
    assert (result.generated_seconds, result.delivered_seconds) == (8, 6.0)
    measured = probe(Path(result.video_url.removeprefix("file://")).read_bytes())
    assert abs(measured["duration"] - 6.0) <= 1 / 12 and measured["video"]
    assert (await versions(db_pool, sample_job_id, 4))[-1]["video_url"] == result.video_url


async def test_dry_run_plans_without_generating_or_saving(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo, llm
):
    async with run_worker(retake_settings(tmp_path, openai=llm, veo=veo)):
        result = await run(
            temporal_client,
            task_queue,
            request(sample_job_id, 0, "make it brighter", dry_run=True),
            "dry_run",
        )
    assert result.status == "planned" and result.version is None and result.video_url is None
    assert result.cost_estimate_usd > 0
    assert veo.counters()["submit_requests"] == 0
    assert await versions(db_pool, sample_job_id, 0) == []


async def test_clip_with_references_and_a_4s_slot_is_generated_at_8s_and_stored_at_4s(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    """Issue 11: the sample job's clip 3 (4 s, scene references) through the strict
    emulator in project mode with ADC; the stored MP4 is measured."""
    await serve_references_from(veo, db_pool, sample_job_id)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        result = await run(temporal_client, task_queue,
                           request(sample_job_id, 3, "make it nighttime"), "references_trimmed")

    assert (result.generated_seconds, result.delivered_seconds) == (8, 4.0)
    # What is generated is what is billed: 8 s, without sound (the song replaces it).
    assert result.cost_estimate_usd == Decimal("1.60") and not result.generate_audio
    [paid] = veo.paid_submissions()
    assert paid["model"] == "veo-3.1-generate-001" and paid["duration_seconds"] == 8
    assert paid["reference_images"] >= 1
    measured = probe(Path(result.video_url.removeprefix("file://")).read_bytes())
    assert abs(measured["duration"] - 4.0) <= 1 / 8  # within one frame (emulator: 8 fps)
    assert measured["video"] and not measured["audio"]  # a silent video, cut and stored
    counters = veo.counters()
    assert counters["static_token_uses"] == 0 and counters["tokens_issued"] >= 1
    assert counters["rejected_requests"] == 0
    entry = (await clip_entries(db_pool, sample_job_id))[3]
    assert entry["actual_duration"] == 4.0  # what was saved is what was stored: the cut clip


async def test_dry_run_shows_generated_and_delivered_seconds_and_their_cost(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        result = await run(temporal_client, task_queue,
                           request(sample_job_id, 3, "make it nighttime", dry_run=True),
                           "dry_run_references")
        vertical = await run(temporal_client, task_queue,
                             request(sample_job_id, 3, "make it nighttime", dry_run=True,
                                     aspect_ratio="9:16"), "dry_run_vertical")
    assert (result.generated_seconds, result.delivered_seconds) == (8, 4.0)
    assert result.cost_estimate_usd == Decimal("1.60")  # 8 s without sound
    assert "8 s" in result.reasoning
    # 9:16 takes no references: they are dropped, and 4 s is generated (and paid) instead.
    assert (vertical.generated_seconds, vertical.delivered_seconds) == (4, 4.0)
    assert vertical.cost_estimate_usd == Decimal("0.80")
    assert "reference images dropped" in vertical.reasoning.lower()
    assert veo.counters()["submit_requests"] == 0


async def test_precise_change_reuses_the_stored_seed_and_missing_seed_gets_a_fresh_one(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo, llm
):
    instruction = "keep everything the same but change her hair color to blonde"
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        reused = await run(
            temporal_client, task_queue, request(sample_job_id, 0, instruction), "seed_reused"
        )
        fresh = await run(
            temporal_client, task_queue, request(sample_job_id, 3, instruction), "seed_fresh"
        )
    assert reused.temperature < 0.5 and reused.seed_reused and reused.seed == 1000
    submitted = veo.submissions()
    assert submitted[0]["parameters"]["seed"] == 1000
    assert "enhancePrompt" not in submitted[0]["parameters"]  # Veo 3.x: not sent

    # Clip 3 has no stored seed: a fresh one is drawn and stored for the next precise change.
    assert not fresh.seed_reused
    entries = await clip_entries(db_pool, sample_job_id)
    assert entries[3]["metadata"]["generation_seed"] == fresh.seed


async def test_content_filter_then_success_retries_once_with_a_sanitised_prompt(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(filter_next=1)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        result = await run(
            temporal_client, task_queue, request(sample_job_id, 2, "make it darker"), "filtered_once"
        )
    assert result.status == "completed" and result.filtered_retries == 1
    assert veo.counters()["submissions_accepted"] == 2
    # The retry sent the sanitised prompt (for the reasons Veo gave), not the same one again,
    # and the saved version is what the retry sent.
    first, second = (s["instances"][0]["prompt"] for s in veo.submissions())
    assert second == sanitise_prompt(first, DEFAULT_FILTER_REASONS) != first
    rows = await versions(db_pool, sample_job_id, 2)
    assert len(rows) == 2 and rows[-1]["prompt"] == result.prompt == second


async def test_operation_error_is_a_typed_generation_failure_and_saves_nothing(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    """Veo accepts (and bills) the job, then ends it with an error (code 3): one typed,
    non-retryable GenerationFailed, no second submission, no version, the clip unchanged."""
    veo.fail_operations(count=1, code=3, message="The prompt could not be rendered.")
    before = await clip_entries(db_pool, sample_job_id)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 2, "make it darker"), task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.GENERATION_FAILED
    assert cause.non_retryable and "code 3" in cause.message
    assert veo.counters()["submissions_accepted"] == 1  # not retried: not paid again
    assert await versions(db_pool, sample_job_id, 2) == []
    assert await clip_entries(db_pool, sample_job_id) == before  # original stays current
    outcomes = await db_pool.fetch(
        "SELECT outcome FROM veo_operations WHERE job_id = $1 AND clip_index = 2", sample_job_id)
    assert [r["outcome"] for r in outcomes] == ["failed"]


async def test_content_filter_twice_fails_and_persists_nothing(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(filter_next=2)
    before = await clip_entries(db_pool, sample_job_id)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        with pytest.raises(WorkflowFailureError) as failure:
            await run(
                temporal_client,
                task_queue,
                request(sample_job_id, 2, "make it darker"),
                "filtered_twice",
            )
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.CONTENT_FILTERED
    assert cause.non_retryable and "reasons" in cause.message
    assert veo.counters()["submissions_accepted"] == 2
    assert await versions(db_pool, sample_job_id, 2) == []
    assert await clip_entries(db_pool, sample_job_id) == before  # original stays current


@pytest.mark.parametrize(
    "clip, instruction, options, expected_type",
    [
        (0, "   ", {}, error_types.INVALID_INPUT),
        (0, "x" * 5000, {}, error_types.INVALID_INPUT),
        (-1, "make it brighter", {}, error_types.INVALID_INPUT),
        (2**31, "make it brighter", {}, error_types.INVALID_INPUT),  # past Postgres INTEGER
        (0, "make it\x00 brighter", {}, error_types.INVALID_INPUT),
        (0, "make it brighter", {"poll_interval_seconds": 0}, error_types.INVALID_INPUT),
        (0, "make it brighter", {"video_model": "sora-2"}, error_types.INVALID_INPUT),
        (0, "make it brighter", {"video_model": "veo-3.1-generate-preview"},
         error_types.INVALID_INPUT),
        (99, "make it brighter", {}, error_types.CLIP_NOT_FOUND),
    ],
)
async def test_bad_input_fails_fast_with_a_typed_error(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool,
    clip, instruction, options, expected_type,
):
    async with run_worker(retake_settings(tmp_path)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, clip, instruction, **options), task_queue=task_queue
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == expected_type
    assert cause.non_retryable
    if expected_type == error_types.INVALID_INPUT:
        history = await handle.fetch_history()
        kinds = {event.event_type for event in history.events}
        markers = {e.marker_recorded_event_attributes.marker_name for e in history.events}
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds
        assert "core_local_activity" not in markers  # no local activity either
    if options.get("video_model") == "veo-3.1-generate-preview":
        assert "retired" in cause.message and "'veo-3.1-generate-001'" in cause.message
    assert await versions(db_pool, sample_job_id, min(max(clip, 0), 2**31 - 1)) == []


async def test_unknown_job_is_a_typed_error(
    temporal_client, task_queue, run_worker, tmp_path, db_pool
):
    async with run_worker(retake_settings(tmp_path)):
        with pytest.raises(WorkflowFailureError) as failure:
            await run(temporal_client, task_queue, request(uuid4(), 0, "make it brighter"), "unknown")
    assert failure.value.cause.type == error_types.JOB_NOT_FOUND


async def wait_for_stage(handle: WorkflowHandle, stage: str, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            progress = await handle.query(RegenerateClipWorkflow.progress)
            if progress.stage == stage:
                return
            await asyncio.sleep(0.1)


async def test_concurrent_start_is_refused_and_cancellation_persists_nothing(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(job_seconds=600)  # longer than the test: it is cancelled while waiting
    inp = request(sample_job_id, 1, "make it nighttime")
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(temporal_client, inp, task_queue=task_queue)
        await wait_for_stage(handle, "waiting")
        progress = await handle.query(RegenerateClipWorkflow.progress)
        assert "Veo is generating" in progress.detail
        async with asyncio.timeout(30):  # live status checks: the wait activity's attempt
            while (await pending_polls(handle) or 0) < 2:
                await asyncio.sleep(0.2)

        with pytest.raises(WorkflowAlreadyStartedError):
            await start_regeneration(temporal_client, inp, task_queue=task_queue)

        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
        await record(handle, "cancelled")

        # Closed now: a new regeneration of the same clip may start.
        veo.configure(job_seconds=0.2)
        again = await start_regeneration(temporal_client, inp, task_queue=task_queue)
        assert (await again.result()).version == 2
    assert [r["version_number"] for r in await versions(db_pool, sample_job_id, 1)] == [1, 2]


async def test_history_does_not_grow_with_the_wait(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    """A job needing many status checks has the same history as one needing one."""
    lengths = {}
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        for clip, job_seconds in ((0, 0.0), (5, 3.0)):
            veo.configure(job_seconds=job_seconds)
            handle = await start_regeneration(
                temporal_client,
                request(sample_job_id, clip, "make it a bit brighter", poll_interval_seconds=0.1),
                task_queue=task_queue,
            )
            result = await handle.result()
            lengths[clip] = (len((await handle.fetch_history()).events), result.polls)
    # The server spaces activity retries at least ~1 s apart, so 3 s means 3+ checks.
    assert lengths[0][1] == 1 and lengths[5][1] >= 3  # more status checks...
    assert lengths[0][0] == lengths[5][0]  # ...and not one more history event


async def test_web_ui_sees_summary_details_and_search_attributes(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    from temporalio.api.sdk.v1 import WorkflowMetadata

    veo.configure(job_seconds=600)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 3, "make it nighttime"), task_queue=task_queue
        )
        await wait_for_stage(handle, "waiting")
        desc = await handle.describe()
        assert await desc.static_summary() == (
            f"Regenerate clip 3 of job {sample_job_id}: make it nighttime"
        )
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert metadata.current_details.startswith("**waiting**")

        async with asyncio.timeout(30):  # visibility is eventually consistent
            while True:
                found = [
                    w.id
                    async for w in temporal_client.list_workflows(
                        f'JobId = "{sample_job_id}" AND ClipIndex = 3'
                    )
                ]
                if found:
                    break
                await asyncio.sleep(0.2)
        assert found == [handle.id]
        await handle.cancel()
