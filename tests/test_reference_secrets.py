"""Issue 27: a signed reference URL is a credential; it stays in the job's metadata.

A regeneration runs end to end (dev server, Postgres, the Veo emulator) on a clip
whose references are signed URLs that the image server refuses without their
signature. The image reaches Veo, so the submit read the full URL back from the job;
then every history of the run (payloads decoded) and every ledger row are scanned:
the signature appears nowhere. A reference the policy refuses is named in the plan.
"""

from __future__ import annotations

import base64
import json

import pytest

from activities.job_store.sample_data import read_sample
from retake.client import start_regeneration
from tests.emulators.hostile_images import SIGNATURE_PREFIX, HostileImages
from tests.support.job_rows import drop_stage, set_stage
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import request

SIGNATURE = SIGNATURE_PREFIX + "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture(scope="module")
def images():
    server = HostileImages().start("signed-images")
    yield server
    server.stop()


def decoded_payloads(node) -> list[str]:
    """Every payload's data in a history as JSON, decoded from base64 (as a reader would)."""
    found: list[str] = []
    if isinstance(node, dict):
        if "data" in node and "metadata" in node and isinstance(node["data"], str):
            found.append(base64.b64decode(node["data"]).decode(errors="replace"))
        for value in node.values():
            found += decoded_payloads(value)
    elif isinstance(node, list):
        for value in node:
            found += decoded_payloads(value)
    return found


async def test_no_signature_in_history_or_the_ledger_after_a_regeneration(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, quick_veo, images
):
    signed = [f"http://127.0.0.2:{images.port}/signed.png?X-Goog-Algorithm=GOOG4-RSA-SHA256"
              f"&X-Goog-Signature={SIGNATURE}{n}" for n in (1, 2)]
    _, stages = read_sample(job_id=sample_job_id)
    prompts = stages["prompt_generator"]
    prompts["clip_prompts"][3].update(scene_reference_url=signed[0],
                                      character_reference_urls=["gs://elsewhere/c.png", signed[1]])
    await set_stage(db_pool, sample_job_id, "prompt_generator", prompts)
    await drop_stage(db_pool, sample_job_id, "reference_generator")  # only these references

    async with run_worker(retake_settings(tmp_path, veo=quick_veo)):
        handle = await start_regeneration(temporal_client, request(sample_job_id, 3, "make it nighttime"),
                                          task_queue=task_queue)
        result = await handle.result()

    assert result.status == "completed"
    [paid] = quick_veo.paid_submissions()
    assert paid["reference_images"] == 2  # both read with their signatures
    assert "gs://elsewhere/c.png: bucket 'elsewhere' is not in RETAKE_REFERENCE_BUCKETS" in result.reasoning

    histories = [await handle.fetch_history()]
    async for run in temporal_client.list_workflows(f'TaskQueue = "{task_queue}"'):
        if run.id != handle.id:
            histories.append(await temporal_client.get_workflow_handle(run.id).fetch_history())
    texts = [history.to_json() for history in histories]
    texts += [p for history in histories for p in decoded_payloads(json.loads(history.to_json()))]
    rows = await db_pool.fetch(
        "SELECT request::text FROM veo_submissions WHERE job_id = $1 UNION ALL "
        "SELECT request::text FROM veo_operations WHERE job_id = $1", sample_job_id)
    texts += [r["request"] for r in rows]
    assert len(rows) == 2 and any("#signed=" in text for text in texts)  # named, not lost
    assert not [text for text in texts if SIGNATURE_PREFIX in text or "X-Goog" in text]
