"""Plan drift: would today's policy plan a recorded run differently than it was planned?

A policy change raises no replay error when the workflow issues the same commands
(a template's temperature moves, the seed flips from fresh to reused), yet a run in
flight on an unversioned worker would then submit, save and report a plan it never
made. So for one recorded history this replays today's code over exactly what the run
saw (its input, every activity result, and its random seed: the SDK's core seeds
`workflow.random()` with a SipHash-1-3 of the first event's original run id, so a replay
draws each fresh seed again exactly as the run did), captures what
today's code would submit to Veo and return, and compares that with what the history
recorded: each submit_generation input, and the plan fields of the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from tests.support.histories import recorded_history
from workflows.models import RegenerateClipResult
from workflows.regenerate_clip import RegenerateClipWorkflow
from workflows.step_models import GenerationRequest

SUBMIT = "submit_generation"
# Names the run, not the plan (and a replay does not know the recorded workflow id).
NOT_PLAN = {"regeneration_id"}
# The result's plan fields that say what was generated and saved; `reasoning` and
# `cost_estimate_usd` only explain and price the plan, so they may be reworded freely.
RESULT_PLAN_FIELDS = ("prompt", "negative_prompt", "temperature", "seed", "seed_reused",
                      "template_id", "planner", "policy_version")
WHAT_TO_DO = (
    "A policy change would alter the plan of regenerations already in flight. Either\n"
    "  1. bump POLICY_VERSION in workflows/decisions/policy_version.py, re-record the\n"
    "     histories with `python tests/record_histories.py`, and deploy the change as a new\n"
    "     worker build (docs/operations.md, 'Deploying a new version': runs in flight stay\n"
    "     pinned to the build that planned them), or\n"
    "  2. guard the change with `workflow.patched(...)` so runs that were already planned\n"
    "     keep the old rule (and their recorded plan)."
)
RE_RECORD = (
    "POLICY_VERSION changed since these histories were recorded: re-record them with\n"
    "`python tests/record_histories.py`, and deploy the change as a new worker build\n"
    "(docs/operations.md, 'Deploying a new version')."
)


@dataclass
class PlannedRun:
    """What a run submitted to Veo (in order) and the plan fields of its result."""

    submissions: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None  # None: the run failed or was cancelled

    @property
    def policy_version(self) -> int | None:
        """The POLICY_VERSION that planned it (None: recorded before versions, or no plan)."""
        if self.result is not None:
            return self.result["policy_version"]
        return self.submissions[0]["policy_version"] if self.submissions else None

    @property
    def planned(self) -> bool:
        return self.result is not None or bool(self.submissions)


def _plan_fields(result: Any) -> dict[str, Any]:
    return {name: getattr(result, name) for name in RESULT_PLAN_FIELDS}


def recorded_run(history: WorkflowHistory) -> PlannedRun:
    """What the history says the run submitted and returned."""
    converter = pydantic_data_converter.payload_converter
    run = PlannedRun()
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == SUBMIT:
                [request] = converter.from_payloads(scheduled.input.payloads, [GenerationRequest])
                run.submissions.append(request.model_dump(exclude=NOT_PLAN))
        elif event.HasField("workflow_execution_completed_event_attributes"):
            payloads = event.workflow_execution_completed_event_attributes.result.payloads
            [result] = converter.from_payloads(payloads, [RegenerateClipResult])
            run.result = _plan_fields(result) if result is not None else None
    return run


class _Capture(Interceptor):
    """Records what the replayed workflow submits and returns."""

    def __init__(self) -> None:
        self.run = PlannedRun()

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        run = self.run

        class Outbound(WorkflowOutboundInterceptor):
            def start_activity(self, input: StartActivityInput):
                if input.activity == SUBMIT:
                    run.submissions.append(input.args[0].model_dump(exclude=NOT_PLAN))
                return super().start_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                result = await super().execute_workflow(input)
                run.result = _plan_fields(result)
                return result

        return Inbound


async def replayed_run(history: WorkflowHistory) -> tuple[PlannedRun, str | None]:
    """What today's code submits and returns over the recorded run; the replay failure, if any."""
    capture = _Capture()
    replayer = Replayer(
        workflows=[RegenerateClipWorkflow],
        data_converter=pydantic_data_converter,
        interceptors=[capture],
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    failure = str(replayed.replay_failure) if replayed.replay_failure else None
    return capture.run, failure


def differences(recorded: PlannedRun, today: PlannedRun) -> list[str]:
    """Each plan value today's code would change, as 'where: recorded -> today'."""
    found = []
    if len(recorded.submissions) != len(today.submissions):
        found.append(f"submissions: {len(recorded.submissions)} -> {len(today.submissions)}")
    for i, (before, after) in enumerate(zip(recorded.submissions, today.submissions)):
        found += [f"submission {i} {key}: {before[key]!r} -> {after.get(key)!r}"
                  for key in before if before[key] != after.get(key)]
    if recorded.result is not None and today.result is not None:
        found += [f"result {key}: {recorded.result[key]!r} -> {today.result[key]!r}"
                  for key in RESULT_PLAN_FIELDS if recorded.result[key] != today.result[key]]
    return found


async def plan_drift(path: Path) -> str | None:
    """None when today's code plans the recorded run exactly as recorded, else what to do."""
    name, history = path.stem, recorded_history(path)
    recorded = recorded_run(history)
    today, failure = await replayed_run(history)
    if failure:
        return (f"{name}: today's code cannot replay this run ({failure}).\n{WHAT_TO_DO}")
    found = differences(recorded, today)
    if not found:
        return None
    versions = {recorded.policy_version, today.policy_version} - {None}
    what_to_do = RE_RECORD if len(versions) > 1 else WHAT_TO_DO
    return f"{name}: today's policy plans this run differently:\n  " + "\n  ".join(found) + (
        f"\n{what_to_do}")
