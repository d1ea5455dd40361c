"""What starter.py prints: one live progress line, then the result."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from temporalio.client import WorkflowHandle

from retake.client import get_progress, pending_polls
from workflows.models import Progress, RegenerateClipResult


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


def render_error(err: BaseException) -> str:
    """The innermost cause's type and message: what went wrong and what to do."""
    cause = err
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause
    kind = getattr(cause, "type", None) or type(cause).__name__
    message = getattr(cause, "message", None) or str(cause)
    return f"regeneration failed: {kind}: {message}"
