"""Today's code, replaying any recorded run, asks Veo for the sound that run was planned with.

A replay compares commands, not what they carry, so a changed sound default (Veo bills a
clip with audio higher) would replay cleanly and yet make a run in flight pay for, save
and report sound its user never saw. Sound is decided by the run's input and the
spend-in-plan patch (histories without it were planned with sound on), never by the
policy's wording rules, so every recorded regeneration must submit its recorded sound
again, the oldest rules' included (their prompts may differ today; the plan-drift test,
tests/test_plan_drift.py, covers those recorded with today's policy). Recordings from
before sound was a field of the request are not compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.histories import HISTORIES, recorded_history, workflow_type
from tests.support.plan_drift import SUBMIT, replayed_run

REGENERATIONS = [p for p in HISTORIES if workflow_type(p) == "RegenerateClipWorkflow"]


def recorded_sound(path: Path) -> list[bool | None]:
    """Each recorded submit_generation input's `generate_audio`, None where it had none."""
    sound = []
    for event in recorded_history(path).events:
        scheduled = event.activity_task_scheduled_event_attributes
        if event.HasField("activity_task_scheduled_event_attributes") and (
            scheduled.activity_type.name == SUBMIT
        ):
            sound.append(json.loads(scheduled.input.payloads[0].data).get("generate_audio"))
    return sound


def patch_ids(path: Path) -> set[str]:
    ids = set()
    for event in recorded_history(path).events:
        marker = event.marker_recorded_event_attributes
        if event.HasField("marker_recorded_event_attributes") and marker.marker_name == "core_patch":
            ids.add(json.loads(marker.details["patch-data"].payloads[0].data)["id"])
    return ids


def test_runs_recorded_before_spend_in_plan_with_sound_are_replayed_here():
    """Without them, the patch's old path (sound on) would go unchecked."""
    before = [p for p in REGENERATIONS
              if "spend-in-plan" not in patch_ids(p) and True in recorded_sound(p)]
    assert len(before) >= 5, [p.stem for p in before]


@pytest.mark.parametrize("path", REGENERATIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_a_replayed_run_asks_for_the_sound_it_was_planned_with(path: Path):
    recorded = recorded_sound(path)
    today, failure = await replayed_run(recorded_history(path))
    assert failure is None, failure
    assert len(today.submissions) == len(recorded)
    for was, now in zip(recorded, today.submissions):
        assert was is None or now["generate_audio"] == was
