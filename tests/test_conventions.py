"""The names and ids every caller shares (workflows/conventions.py), pure, no server."""

from __future__ import annotations

from uuid import UUID

from temporalio.common import SearchAttributeKey

from workflows import conventions

JOB = UUID("6f1c9a2e-1d2b-4c3a-9e8f-0a1b2c3d4e5f")


def test_the_task_queue_comes_from_the_environment_or_the_default(monkeypatch):
    monkeypatch.delenv("RETAKE_TASK_QUEUE", raising=False)
    assert conventions.task_queue() == "retake" == conventions.DEFAULT_TASK_QUEUE
    monkeypatch.setenv("RETAKE_TASK_QUEUE", "")
    assert conventions.task_queue() == "retake"
    monkeypatch.setenv("RETAKE_TASK_QUEUE", "retake-eu")
    assert conventions.task_queue() == "retake-eu"


def test_the_queues_derived_from_one_task_queue():
    assert conventions.veo_submit_queue("retake-eu") == "retake-eu-veo-submit"
    assert conventions.backend_queue("retake-eu", "preview") == "retake-eu-preview"


def test_the_ids_of_each_workflow():
    assert conventions.workflow_id_for(JOB, 3) == f"regenerate-{JOB}-3"
    assert conventions.versions_workflow_id(JOB, 3, "abc") == f"versions-{JOB}-3-abc"
    assert conventions.batch_workflow_id(JOB) == f"regenerate-batch-{JOB}"
    assert conventions.late_collection_id("run-1", 2) == "collect-late-run-1-2"
    assert conventions.notify_workflow_id("evt-9") == "notify-evt-9"


def test_the_search_attributes_of_one_regeneration():
    assert conventions.JOB_ID == SearchAttributeKey.for_keyword("JobId")
    assert conventions.CLIP_INDEX == SearchAttributeKey.for_int("ClipIndex")
    assert conventions.ALL_SEARCH_ATTRIBUTES == (conventions.JOB_ID, conventions.CLIP_INDEX)
    found = conventions.search_attributes_for(JOB, 7)
    assert found[conventions.JOB_ID] == str(JOB) and found[conventions.CLIP_INDEX] == 7
    assert len(found.search_attributes) == 2


def test_the_names_a_caller_uses():
    assert (conventions.WORKFLOW_TYPE, conventions.PROGRESS_QUERY) == (
        "RegenerateClipWorkflow", "progress")
    assert (conventions.PROPOSE_UPDATE, conventions.CONFIRM_UPDATE, conventions.REVISE_UPDATE,
            conventions.CANCEL_UPDATE, conventions.PROPOSAL_QUERY) == (
        "propose", "confirm", "revise", "cancel", "proposal")
    assert conventions.DEFAULT_POLL_INTERVAL_SECONDS == 15.0
