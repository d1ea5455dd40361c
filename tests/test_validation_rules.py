"""The workflow's input checks (workflows/validation.py) rule by rule at their limits, pure,
no server: each problem alone, worded for the sender, and all of them at once."""

from __future__ import annotations

from uuid import UUID

import pytest
from temporalio.exceptions import ApplicationError

from workflows.caps import MAX_CONVERSATION_CHARS
from workflows.error_types import INVALID_INPUT
from workflows.models import MAX_INSTRUCTION_CHARS, ChatMessage, RegenerateClipInput
from workflows.validation import (
    CONFIRM_TIMEOUT_RANGE,
    DEADLINE_RANGE,
    MAX_CLIP_INDEX,
    MAX_CONVERSATION_MESSAGES,
    MAX_MESSAGE_CHARS,
    POLL_INTERVAL_RANGE,
    instruction_problems,
    problems,
    refuse_internal,
    validate,
    workflow_id_problem,
)

JOB = UUID("6f1c9a2e-1d2b-4c3a-9e8f-0a1b2c3d4e5f")


def request(clip_index: int = 2, instruction: str = "make it brighter", conversation=(),
            **options) -> RegenerateClipInput:
    return RegenerateClipInput(
        job_id=JOB, clip_index=clip_index, instruction=instruction,
        conversation=[ChatMessage(content=c) for c in conversation], options=options)


def test_the_limits():
    assert (MAX_CONVERSATION_MESSAGES, MAX_MESSAGE_CHARS, MAX_CLIP_INDEX) == (50, 8000, 2**31 - 1)
    assert POLL_INTERVAL_RANGE == (0.05, 300.0) and DEADLINE_RANGE == (1.0, 21600.0)
    assert CONFIRM_TIMEOUT_RANGE == (0.1, 604800.0)
    assert problems(request()) == []


def test_an_instruction_must_say_something():
    for empty in ("", "   ", "\n\t"):
        assert instruction_problems(empty) == [
            "the instruction is empty: say what to change, e.g. 'make it nighttime'"]
    assert instruction_problems("x") == []


def test_an_instruction_has_at_most_the_maximum_characters():
    assert instruction_problems("x" * MAX_INSTRUCTION_CHARS) == []
    assert instruction_problems("x" * (MAX_INSTRUCTION_CHARS + 1)) == [
        f"the instruction has {MAX_INSTRUCTION_CHARS + 1} characters; keep it under "
        f"{MAX_INSTRUCTION_CHARS}"]


@pytest.mark.parametrize("binary", ["\x00", "\x07", "\x1b[0m", "\x7f", "\x85", "\ud800",
                                    "\ue000"])
def test_control_surrogate_and_private_characters_are_binary(binary):
    assert instruction_problems(f"make it{binary} warmer") == [
        "the instruction contains control or binary characters; send plain text"]


@pytest.mark.parametrize("text", ["line one\nline two\r\n\tthree", "caf\u00e9 \u2014 ok",
                                  "zero\u200bwidth", "emoji \U0001f3ac"])
def test_whitespace_and_other_characters_are_text(text):
    assert instruction_problems(text) == []


def test_the_first_problem_of_an_instruction_only():
    assert instruction_problems("\x00" * (MAX_INSTRUCTION_CHARS + 1))[0].startswith(
        "the instruction has")


def test_the_workflow_id_follows_the_convention():
    inp = request(clip_index=4)
    assert workflow_id_problem(inp, f"regenerate-{JOB}-4") is None
    assert workflow_id_problem(inp, "mine") == (
        "the workflow id 'mine' does not follow the one-regeneration-per-clip convention "
        f"regenerate-<job_id>-<clip_index>: start it again with workflow id "
        f"'regenerate-{JOB}-4'")
    assert workflow_id_problem(inp, f"regenerate-{JOB}-5") is not None
    assert problems(inp, workflow_id=f"regenerate-{JOB}-4") == []
    assert problems(inp, workflow_id="mine") == [workflow_id_problem(inp, "mine")]
    assert problems(inp, workflow_id=None) == problems(inp) == []


def test_the_clip_index_fits_a_postgres_integer():
    assert problems(request(clip_index=0)) == problems(request(clip_index=MAX_CLIP_INDEX)) == []
    assert problems(request(clip_index=-1)) == [
        f"clip_index must be within 0-{MAX_CLIP_INDEX}, got -1"]
    assert problems(request(clip_index=MAX_CLIP_INDEX + 1)) == [
        f"clip_index must be within 0-{MAX_CLIP_INDEX}, got {MAX_CLIP_INDEX + 1}"]


def test_at_most_fifty_conversation_messages():
    assert problems(request(conversation=["hi"] * MAX_CONVERSATION_MESSAGES)) == []
    assert problems(request(conversation=["hi"] * (MAX_CONVERSATION_MESSAGES + 1))) == [
        "send at most 50 conversation messages (only the last 3 are used)"]


def test_one_message_of_at_most_the_maximum_characters():
    assert problems(request(conversation=["x" * MAX_MESSAGE_CHARS])) == []
    assert problems(request(conversation=["ok", "x" * (MAX_MESSAGE_CHARS + 1)])) == [
        "a conversation message is over 8000 characters"]


def test_the_whole_conversation_of_at_most_the_maximum_characters():
    per = MAX_CONVERSATION_CHARS // 4
    assert per <= MAX_MESSAGE_CHARS
    assert problems(request(conversation=["x" * per] * 4)) == []
    over = ["x" * per] * 4 + ["y"]
    assert problems(request(conversation=over)) == [
        f"the conversation is over {MAX_CONVERSATION_CHARS} characters in all: send the "
        "latest messages only"]
    # a message over its own limit is named instead of the whole
    long = ["x" * (MAX_MESSAGE_CHARS + 1)] * 5
    assert problems(request(conversation=long)) == [
        "a conversation message is over 8000 characters"]


@pytest.mark.parametrize("field, lo, hi, shown", [
    ("poll_interval_seconds", 0.05, 300.0, "options.poll_interval_seconds must be within "
                                           "0.05-300.0"),
    ("deadline_seconds", 1.0, 21600.0, "options.deadline_seconds must be within 1-21600"),
    ("confirm_timeout_seconds", 0.1, 604800.0,
     "options.confirm_timeout_seconds must be within 0.1-604800"),
])
def test_each_duration_within_its_range(field, lo, hi, shown):
    assert problems(request(**{field: lo})) == problems(request(**{field: hi})) == []
    for bad in (lo - 0.01, hi + 0.01, -1.0, 0.0):
        assert problems(request(**{field: bad})) == [shown]


def test_confirm_first_and_dry_run_exclude_each_other():
    assert problems(request(confirm_first=True)) == problems(request(dry_run=True)) == []
    assert problems(request(confirm_first=True, dry_run=True)) == [
        "options.confirm_first and options.dry_run exclude each other: pick one"]


def test_the_model_is_from_the_catalogue():
    assert problems(request(video_model="veo-3.1-fast-generate-001")) == []
    retired = problems(request(video_model="veo-2.0-generate-001"))
    assert retired == ["options.video_model 'veo-2.0-generate-001' is retired on Vertex AI; "
                       "use 'veo-3.1-generate-001'"]
    unknown = problems(request(video_model="veo-9"))
    assert len(unknown) == 1 and unknown[0].startswith(
        "options.video_model 'veo-9' is not a served Veo model; use one of")


def test_without_the_catalogue_any_veo_model_passes():
    assert problems(request(video_model="veo-2.0-generate-001"), catalogue=False) == []
    assert problems(request(video_model="veo-9"), catalogue=False) == []
    assert problems(request(video_model="sora-2"), catalogue=False) == [
        "options.video_model 'sora-2' is not a Veo model"]
    assert problems(request(video_model="sora-2"), catalogue=True)[0].startswith(
        "options.video_model 'sora-2' is not a served Veo model")


def test_every_problem_at_once_in_order():
    inp = request(clip_index=-1, instruction=" ", conversation=["x"] * 51,
                  poll_interval_seconds=0, deadline_seconds=0, confirm_timeout_seconds=0,
                  confirm_first=True, dry_run=True, video_model="sora-2")
    found = problems(inp, workflow_id="mine")
    assert [p.split(" ")[:2] for p in found] == [
        ["the", "workflow"], ["the", "instruction"], ["clip_index", "must"], ["send", "at"],
        ["options.poll_interval_seconds", "must"], ["options.deadline_seconds", "must"],
        ["options.confirm_timeout_seconds", "must"], ["options.confirm_first", "and"],
        ["options.video_model", "'sora-2'"]]
    with pytest.raises(ApplicationError) as failure:
        validate(inp, workflow_id="mine")
    err = failure.value
    assert err.type == INVALID_INPUT and err.non_retryable
    assert err.message == "Invalid regeneration request: " + "; ".join(found) + "."
    with pytest.raises(ApplicationError) as failure:
        validate(request(video_model="sora-2"), catalogue=False)
    assert failure.value.message == (
        "Invalid regeneration request: options.video_model 'sora-2' is not a Veo model.")


def test_a_valid_request_passes():
    assert validate(request()) is None
    assert validate(request(clip_index=3), workflow_id=f"regenerate-{JOB}-3") is None


def test_an_internal_field_is_refused_only_with_a_problem():
    assert refuse_internal(None) is None and refuse_internal("") is None
    with pytest.raises(ApplicationError) as failure:
        refuse_internal("approved_plan: not from the job's batch")
    err = failure.value
    assert err.type == INVALID_INPUT and err.non_retryable
    assert err.message == ("Invalid regeneration request: approved_plan: not from the job's "
                           "batch.")
