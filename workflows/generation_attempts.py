"""Submit -> wait -> resubmit or sanitise: the generation loop's state and rules.

A helper class outside the workflow class (temporalio/samples-python `updatable_timer/`):
the regeneration submits and waits; `GenerationAttempts.after` says what each outcome
means. After a content filter, one retry with a sanitised prompt; after a transient
operation error (codes 13, 14, ...), one resubmission of the same plan; anything else
ends the regeneration with a typed, non-retryable error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.decisions as decisions
    import workflows.error_types as error_types
    import workflows.patches as patches
    from workflows.step_models import GenerationState, GenerationStatus, Plan, Submission

FILTERED_RETRIES = 1  # one retry with a sanitised prompt, then give up


class Next(str, Enum):
    DONE = "done"  # Veo made the video: store it
    RESUBMIT = "resubmit"  # same plan, new submission (transient operation error)
    SANITISED = "sanitised"  # the plan's prompt was made safer: submit it


@dataclass
class GenerationAttempts:
    """What the loop has done so far; `plan` is what the next submission sends."""

    plan: Plan
    clip_index: int
    submissions: int = 0  # also the next submission's attempt number in its ledger key
    filtered_retries: int = 0
    transient_resubmissions: int = 0
    submission: Submission | None = None
    status: GenerationStatus | None = None
    # Whether this run resubmits after a transient failure (a patch decision, read only
    # when it matters, as the workflow always has).
    resubmits: Callable[[], bool] = lambda: patches.applies(patches.TRANSIENT_RESUBMIT)

    def submitted(self, submission: Submission) -> None:
        self.submission = submission
        self.submissions += 1

    def after(self, status: GenerationStatus) -> Next:
        """What `status` means for the loop; raises the typed error that ends it."""
        self.status = status
        if status.state == GenerationState.SUCCEEDED:
            return Next.DONE
        if status.state == GenerationState.FAILED:
            if (
                self.transient_resubmissions < decisions.TRANSIENT_RESUBMISSIONS
                and decisions.is_transient_operation_error(status.error_code)
                and self.resubmits()
            ):
                self.transient_resubmissions += 1
                return Next.RESUBMIT
            again = " again after one resubmission" if self.transient_resubmissions else ""
            raise ApplicationError(
                f"Veo could not generate clip {self.clip_index}{again} "
                f"(code {status.error_code}): {status.error_message}. "
                "Try again later, or rephrase the instruction.",
                type=error_types.GENERATION_FAILED,
                non_retryable=True,
            )
        reasons = status.filter_reasons or ["unspecified"]
        if self.filtered_retries >= FILTERED_RETRIES:
            raise ApplicationError(
                f"Veo's content filter refused clip {self.clip_index} twice "
                f"(reasons: {', '.join(reasons)}). Rephrase the instruction; the original "
                "clip is unchanged.",
                type=error_types.CONTENT_FILTERED,
                non_retryable=True,
            )
        self.filtered_retries += 1
        self.plan = self.plan.model_copy(
            update={"prompt": decisions.sanitise_prompt(self.plan.prompt, reasons)}
        )
        return Next.SANITISED
