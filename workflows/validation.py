"""Input checks that run first in the workflow, before any activity.

Pydantic has already checked types (at the client, or when the worker decodes a
plain-JSON start from another SDK); these are the rules a type cannot say, plus
the one-regeneration-per-clip workflow id whoever started the run. Each failure is a non-retryable `InvalidInput` error whose message
says what was wrong and what to send instead.
"""

from __future__ import annotations

import unicodedata

from temporalio.exceptions import ApplicationError

from workflows.caps import MAX_CONVERSATION_CHARS
from workflows.conventions import workflow_id_for
from workflows.decisions import CONVERSATION_WINDOW
from workflows.decisions.veo_models import model_problem
from workflows.error_types import INVALID_INPUT
from workflows.models import MAX_INSTRUCTION_CHARS, RegenerateClipInput

MAX_CONVERSATION_MESSAGES = 50
MAX_MESSAGE_CHARS = 8000
POLL_INTERVAL_RANGE = (0.05, 300.0)
DEADLINE_RANGE = (1.0, 6 * 3600.0)
# clip_index is a Postgres INTEGER (clip_versions, veo_submissions, the stage queries'
# $2::int): anything larger would fail in the database, retried as a fault, not refused.
MAX_CLIP_INDEX = 2**31 - 1
CONFIRM_TIMEOUT_RANGE = (0.1, 7 * 86400.0)  # short in tests; a week at most


def _has_binary(text: str) -> bool:
    """Control characters other than whitespace mean bytes, not an instruction."""
    return any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t" for ch in text
    )


def instruction_problems(instruction: str) -> list[str]:
    """What is wrong with one instruction (the first, or a `revise` follow-up)."""
    if not instruction.strip():
        return ["the instruction is empty: say what to change, e.g. 'make it nighttime'"]
    if len(instruction) > MAX_INSTRUCTION_CHARS:
        return [
            f"the instruction has {len(instruction)} characters; keep it under "
            f"{MAX_INSTRUCTION_CHARS}"
        ]
    if _has_binary(instruction):
        return ["the instruction contains control or binary characters; send plain text"]
    return []


def workflow_id_problem(inp: RegenerateClipInput, workflow_id: str) -> str | None:
    """A run under any other id could pay for a second concurrent generation of the clip."""
    expected = workflow_id_for(inp.job_id, inp.clip_index)
    if workflow_id == expected:
        return None
    return (
        f"the workflow id {workflow_id!r} does not follow the one-regeneration-per-clip "
        f"convention regenerate-<job_id>-<clip_index>: start it again with workflow id "
        f"{expected!r}"
    )


def problems(
    inp: RegenerateClipInput, *, workflow_id: str | None = None, catalogue: bool = True
) -> list[str]:
    """Every problem with the input (and the run's id, when given), worded for the sender.

    `catalogue=False` keeps the old model check (a `veo-` prefix) for histories recorded
    before the Veo model catalogue existed (the workflow passes `workflow.patched(...)`).
    """
    found: list[str] = []
    id_problem = workflow_id_problem(inp, workflow_id) if workflow_id is not None else None
    if id_problem:
        found.append(id_problem)
    found += instruction_problems(inp.instruction)
    if not 0 <= inp.clip_index <= MAX_CLIP_INDEX:
        found.append(f"clip_index must be within 0-{MAX_CLIP_INDEX}, got {inp.clip_index}")
    if len(inp.conversation) > MAX_CONVERSATION_MESSAGES:
        found.append(
            f"send at most {MAX_CONVERSATION_MESSAGES} conversation messages "
            f"(only the last {CONVERSATION_WINDOW} are used)"
        )
    if any(len(m.content) > MAX_MESSAGE_CHARS for m in inp.conversation):
        found.append(f"a conversation message is over {MAX_MESSAGE_CHARS} characters")
    elif sum(len(m.content) for m in inp.conversation) > MAX_CONVERSATION_CHARS:
        found.append(f"the conversation is over {MAX_CONVERSATION_CHARS} characters in all: "
                     "send the latest messages only")
    opts = inp.options
    lo, hi = POLL_INTERVAL_RANGE
    if not lo <= opts.poll_interval_seconds <= hi:
        found.append(f"options.poll_interval_seconds must be within {lo}-{hi}")
    lo, hi = DEADLINE_RANGE
    if not lo <= opts.deadline_seconds <= hi:
        found.append(f"options.deadline_seconds must be within {lo:.0f}-{hi:.0f}")
    lo, hi = CONFIRM_TIMEOUT_RANGE
    if not lo <= opts.confirm_timeout_seconds <= hi:
        found.append(f"options.confirm_timeout_seconds must be within {lo}-{hi:.0f}")
    if opts.confirm_first and opts.dry_run:
        found.append("options.confirm_first and options.dry_run exclude each other: pick one")
    if catalogue:
        if problem := model_problem(opts.video_model):
            found.append(problem)
    elif not opts.video_model.startswith("veo-"):
        found.append(f"options.video_model {opts.video_model!r} is not a Veo model")
    return found


def refuse_internal(problem: str | None) -> None:
    """InvalidInput for an internal field sent by someone who may not set it (workflows/trust.py)."""
    if problem:
        raise ApplicationError(
            f"Invalid regeneration request: {problem}.", type=INVALID_INPUT, non_retryable=True
        )


def validate(
    inp: RegenerateClipInput, *, workflow_id: str | None = None, catalogue: bool = True
) -> None:
    """Raise one non-retryable error listing every problem, or return."""
    found = problems(inp, workflow_id=workflow_id, catalogue=catalogue)
    if found:
        raise ApplicationError(
            "Invalid regeneration request: " + "; ".join(found) + ".",
            type=INVALID_INPUT,
            non_retryable=True,
        )
