"""What starter.py prints: one live progress line, then the result."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from temporalio.client import WorkflowHandle

from retake.client import get_progress, pending_polls
from workflows.batch_models import BatchPlan
from workflows.models import PlanProposal, Progress, RegenerateClipResult
from workflows.version_models import ClipVersions


async def follow(handle: WorkflowHandle, *, out=sys.stderr, every: float = 0.5) -> RegenerateClipResult:
    """Show progress on one line until the workflow closes; return (or raise) its result."""
    result = asyncio.ensure_future(handle.result())
    started = (await handle.describe()).start_time or datetime.now(UTC)
    live = out.isatty()
    last = ""
    while not result.done():
        try:
            progress: Progress = await get_progress(handle)
            polls = await pending_polls(handle) if progress.stage == "waiting" else None
        except Exception:  # the workflow may close between two calls; the result tells
            progress, polls = None, None
        if progress is not None:
            elapsed = (datetime.now(UTC) - started).total_seconds()
            line = f"[{elapsed:6.1f}s] {progress.stage}: {progress.detail}"
            if polls:
                line += f" (status checks: {polls})"
            if live:
                out.write("\r\033[K" + line[:200])
                out.flush()
            elif line != last:
                out.write(line + "\n")
            last = line
        await asyncio.wait([result], timeout=every)
    if live:
        out.write("\n")
    return result.result()


def render(result: RegenerateClipResult, *, as_json: bool = False) -> str:
    if as_json:
        return result.model_dump_json(indent=2)
    seed_note = "reused original seed" if result.seed_reused else "fresh seed"
    lines = [
        f"clip {result.clip_index} of job {result.job_id}: {result.status}",
        f"  version:      {result.version if result.version is not None else '- (dry run)'}",
        f"  planner:      {result.planner.value}"
        + (f" (template '{result.template_id}')" if result.template_id else ""),
        f"  prompt:       {result.prompt}",
        f"  negative:     {result.negative_prompt or '-'}",
        f"  temperature:  {result.temperature:.2f}  seed: {result.seed} ({seed_note})",
        f"  reasoning:    {result.reasoning}",
        f"  length:       {result.generated_seconds} s generated, "
        f"{result.delivered_seconds:g} s delivered",
        f"  cost (est.):  ${result.cost_estimate_usd} (the generated seconds)",
    ]
    if result.video_url:
        backend = "preview, not Veo" if result.video_backend == "preview" else "Veo"
        lines.append(f"  video:        {result.video_url}  [{backend}]")
        lines.append(f"  status checks: {result.polls}; total {result.timings.total:.1f}s")
    return "\n".join(lines)


def render_proposal(proposal: PlanProposal, *, as_json: bool = False) -> str:
    """A confirm-first plan: what would be generated, what it costs, what to do next."""
    if as_json:
        return proposal.model_dump_json(indent=2)
    plan = proposal.plan
    seed_note = "reused original seed" if plan.seed_reused else "fresh seed"
    where = f"{proposal.job_id} {proposal.clip_index}"
    lines = [
        f"clip {proposal.clip_index} of job {proposal.job_id}: plan revision "
        f"{proposal.revision} ({proposal.state.replace('_', ' ')})",
        f"  asked:        {' / then: '.join(proposal.instructions)}",
        *([f"  summary:      {plan.summary}"] if plan.summary else []),
        *(f"  NOT APPLIED:  {part.text} ({part.reason.replace('_', ' ')})"
          for part in plan.unapplied),
        f"  planner:      {plan.planner.value}"
        + (f" (template '{plan.template_id}')" if plan.template_id else ""),
        f"  prompt:       {plan.prompt}",
        f"  negative:     {plan.negative_prompt or '-'}",
        f"  temperature:  {plan.temperature:.2f} (band {proposal.temperature_band or '-'})"
        f"  seed: {plan.seed} ({seed_note})",
        f"  length:       {plan.generated_seconds} s generated, "
        f"{plan.delivered_seconds:g} s delivered",
        f"  reasoning:    {plan.reasoning}",
        f"  cost (est.):  ${plan.cost_estimate_usd}  (nothing paid yet)",
    ]
    if proposal.state == "awaiting_confirmation":
        expires = f"{proposal.expires_at:%H:%M:%S} UTC" if proposal.expires_at else "-"
        lines += [
            f"  expires:      {expires} unless confirmed",
            f"next: python starter.py confirm {where} --revision {proposal.revision}"
            f" | revise {where} \"...\" | cancel {where}",
        ]
    return "\n".join(lines)


def render_batch(batch: BatchPlan, *, as_json: bool = False) -> str:
    """A batch: each clip's plan or outcome, and the total cost estimate."""
    if as_json:
        return batch.model_dump_json(indent=2)
    lines = [f"batch of job {batch.job_id}: {batch.state.replace('_', ' ')}, "
             f"{len(batch.clips)} clips, total ${batch.total_cost_estimate_usd} (est.)"]
    for clip in batch.clips:
        line = f"  clip {clip.clip_index}: {clip.state}"
        if clip.plan:
            plan = clip.plan
            line += (f"  {plan.planner.value}"
                     + (f" '{plan.template_id}'" if plan.template_id else "")
                     + f", temperature {plan.temperature:.2f}, seed {plan.seed}"
                     + f", {plan.generated_seconds} s, ${plan.cost_estimate_usd}")
        if clip.version is not None:
            line += f"  -> version {clip.version}: {clip.video_url}"
        if clip.error_type or clip.error_message:
            line += f"  [{clip.error_type or 'reported'}] {clip.error_message or ''}"
        lines.append(line)
        if clip.plan and clip.state in ("planned", "not_run"):
            lines.append(f"      prompt: {clip.plan.prompt}")
    if batch.state == "awaiting_confirmation":
        expires = f"{batch.expires_at:%H:%M:%S} UTC" if batch.expires_at else "-"
        lines.append(f"nothing paid yet; expires {expires}. next: python starter.py confirm "
                     f"{batch.job_id} batch | cancel {batch.job_id} batch")
    return "\n".join(lines)


def render_versions(found: ClipVersions) -> str:
    """A clip's versions, oldest first, the current one marked with *."""
    lines = [f"clip {found.clip_index} of job {found.job_id}: {len(found.versions)} versions"]
    if not found.versions:
        lines.append("  (never regenerated: the original is the only version)")
    for v in found.versions:
        seed = "-" if v.seed is None else v.seed
        temperature = "-" if v.temperature is None else f"{v.temperature:.2f}"
        cost = "-" if v.cost_usd is None else f"${v.cost_usd}"
        policy = "-" if v.policy_version is None else v.policy_version
        lines += [
            f"{'*' if v.current else ' '} v{v.number}  {v.created_at:%Y-%m-%d %H:%M:%S}  "
            f"seed {seed}  temperature {temperature}  policy {policy}  cost {cost}",
            f"      asked:  {v.instruction or '(original)'}",
            f"      prompt: {v.prompt or '-'}",
            f"      video:  {v.video_url or '-'}",
        ]
    for r in found.reverts:
        lines.append(f"  reverted {r.created_at:%Y-%m-%d %H:%M:%S}: "
                     f"v{r.from_version or '-'} -> v{r.to_version}")
    return "\n".join(lines)


def render_error(err: BaseException) -> str:
    """The innermost cause's type and message: what went wrong and what to do."""
    cause = err
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause
    kind = getattr(cause, "type", None) or type(cause).__name__
    message = getattr(cause, "message", None) or str(cause)
    return f"regeneration failed: {kind}: {message}"
