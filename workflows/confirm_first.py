"""Confirm first: the one wait for a caller's decision, shared by the single-clip and the
batch workflow. Nothing is paid until a `confirm` Update; a plan nobody decides on in time
ends the run with PlanExpired, having paid nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.error_types as error_types


def expiry(timeout_seconds: float) -> datetime:
    """When a plan shown now expires (each new plan gets the whole timeout)."""
    return workflow.now() + timedelta(seconds=timeout_seconds)


async def decided_in_time(
    decided: Callable[[], bool], *, timeout_seconds: float, timeout_summary: str
) -> bool:
    """Wait for the caller; False when the plan's time ran out with nothing decided."""
    try:
        await workflow.wait_condition(
            decided, timeout=timedelta(seconds=timeout_seconds), timeout_summary=timeout_summary
        )
    except asyncio.TimeoutError:  # noqa: UP041 (Temporal raises the builtin; asyncio's name reads clearer)
        return decided()
    return True


def plan_expired(subject: str, timeout_seconds: float) -> ApplicationError:
    """PlanExpired for `subject` ("The plan for clip 3", "The batch plan for 4 clips")."""
    return ApplicationError(
        f"{subject} was not confirmed within {timeout_seconds:g} s, so nothing was generated "
        "or paid. Plan again, or raise options.confirm_timeout_seconds.",
        type=error_types.PLAN_EXPIRED,
        non_retryable=True,
    )
