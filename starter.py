"""Retake from the command line: start and follow regenerations, plan offline, run the demo.

    python starter.py regenerate JOB_ID CLIP_INDEX "make it nighttime" [--dry-run] [--json]
    python starter.py status WORKFLOW_ID
    python starter.py plan --offline < instructions.jsonl
    python starter.py demo
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from uuid import UUID

from temporalio.client import WorkflowFailureError
from temporalio.exceptions import WorkflowAlreadyStartedError


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="starter.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    regen = sub.add_parser("regenerate", help="start a regeneration and follow it")
    regen.add_argument("job_id", type=UUID)
    regen.add_argument("clip_index", type=int)
    regen.add_argument("instruction")
    regen.add_argument("--dry-run", action="store_true", help="show the plan and cost only")
    regen.add_argument("--json", action="store_true", help="print the result as JSON")
    regen.add_argument("--model", default=None, help="Veo model (default veo-3.1-generate-001; also veo-3.1-fast-generate-001)")
    regen.add_argument("--poll-interval", type=float, default=None, help="seconds between status checks")

    status = sub.add_parser("status", help="show a regeneration's progress or result")
    status.add_argument("workflow_id")
    status.add_argument("--json", action="store_true")

    sub.add_parser("plan", help="plan instructions offline (JSON lines on stdin)", add_help=False)

    demo = sub.add_parser("demo", help="regenerate a sample clip on the embedded default")
    demo.add_argument("--clip", type=int, default=3)
    demo.add_argument("--instruction", default="make it nighttime")
    demo.add_argument("--poll-interval", type=float, default=1.0)
    demo.add_argument("--keep-running", action="store_true", help="keep the Web UI up afterwards")
    demo.add_argument("--port", type=int, default=7233, help="dev server port")
    demo.add_argument("--ui-port", type=int, default=8233, help="Web UI port")
    return parser.parse_args(argv)


async def print_outcome(handle, *, as_json: bool) -> int:
    """Follow to the end; print the result (exit 0) or the typed failure (exit 1)."""
    from retake.console import follow, render, render_error

    try:
        result = await follow(handle)
    except WorkflowFailureError as err:
        print(render_error(err), file=sys.stderr)
        return 1
    print(render(result, as_json=as_json))
    return 0


async def regenerate(args: argparse.Namespace) -> int:
    from retake.client import connect, start_regeneration, workflow_id_for
    from workflows.models import RegenerateClipInput, RegenerateOptions

    options = RegenerateOptions(dry_run=args.dry_run)
    if args.model:
        options.video_model = args.model
    if args.poll_interval:
        options.poll_interval_seconds = args.poll_interval
    inp = RegenerateClipInput(
        job_id=args.job_id, clip_index=args.clip_index, instruction=args.instruction, options=options
    )
    client = await connect()
    try:
        handle = await start_regeneration(client, inp)
    except WorkflowAlreadyStartedError:
        print(
            f"clip {args.clip_index} of job {args.job_id} is already being regenerated; "
            f"follow it with: python starter.py status {workflow_id_for(args.job_id, args.clip_index)}",
            file=sys.stderr,
        )
        return 2
    return await print_outcome(handle, as_json=args.json)


async def status(args: argparse.Namespace) -> int:
    from temporalio.client import WorkflowExecutionStatus

    from retake.client import connect, get_progress, regeneration_handle

    handle = regeneration_handle(await connect(), args.workflow_id)
    desc = await handle.describe()
    print(f"{args.workflow_id}: {desc.status.name if desc.status else 'UNKNOWN'}", file=sys.stderr)
    if desc.status == WorkflowExecutionStatus.RUNNING:
        progress = await get_progress(handle)
        print(progress.model_dump_json() if args.json else f"{progress.stage}: {progress.detail}")
        return 0
    return await print_outcome(handle, as_json=args.json)


def main(argv: list[str]) -> int:
    if argv[:1] == ["plan"]:
        from retake.plan_cli import run

        return run(argv[1:], sys.stdin, sys.stdout)
    args = parse_args(argv)
    if args.command == "regenerate":
        return asyncio.run(regenerate(args))
    if args.command == "status":
        return asyncio.run(status(args))
    from retake.demo import run_demo

    try:
        return asyncio.run(
            run_demo(
                args.clip,
                args.instruction,
                keep_running=args.keep_running,
                poll_interval=args.poll_interval,
                port=args.port,
                ui_port=args.ui_port,
            )
        )
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM: cleaned up
        print("demo stopped; the dev server and embedded Postgres it started are stopped",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    from retake.process import exit_without_teardown

    exit_without_teardown(main(sys.argv[1:]))
