"""Retake from the command line: start and follow regenerations, plan offline, run the demo.

    python starter.py regenerate JOB_ID CLIP_INDEX "make it nighttime" [--dry-run] [--json]
    python starter.py status WORKFLOW_ID
    python starter.py plan JOB_ID CLIP_INDEX "make it nighttime"   # confirm first: plan only
    python starter.py revise JOB_ID CLIP_INDEX "and a bit darker"  # re-plan, nothing paid
    python starter.py confirm JOB_ID CLIP_INDEX [--revision N]     # pay, follow to the end
    python starter.py cancel JOB_ID CLIP_INDEX                     # drop it, nothing paid
    python starter.py batch JOB_ID "make it darker" [--clips 0,2,3]  # several clips, one plan
    python starter.py confirm JOB_ID batch                             # pay for the batch
    python starter.py versions JOB_ID CLIP_INDEX [--json]              # every saved version
    python starter.py revert JOB_ID CLIP_INDEX VERSION                 # make one current again
    python starter.py plan --offline < instructions.jsonl
    python starter.py demo [--confirm] [--continuity both]
    python starter.py spend [--json]              # paid per day, job and account (the ledger)
    python starter.py replay-check [--query Q]   # before a deploy: do open runs replay here?
    python starter.py codec-server [--host H --port P]  # the Web UI and CLI read encrypted data
    python starter.py migrate [--grant-to ROLE]   # as RETAKE_MIGRATION_DATABASE_URL's login
    python starter.py mcp [--http [--host H] [--port P]]  # the tools as an MCP server

Exit codes: 0 done; 1 the run failed or an Update was refused (the message says why);
2 bad input, or the clip is busy; 3 a batch finished with failed or busy clips; 4 the
regeneration had already ended (its plan expired or was cancelled, or it completed);
5 Temporal answered with an error (no such regeneration, server unreachable). Every
failure is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from uuid import UUID

from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

EXIT_ENDED = 4  # the regeneration had already ended: the message says how
EXIT_TEMPORAL = 5  # Temporal answered with an error (no such run, unreachable)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="starter.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    sub.add_parser("plan", add_help=False,
                   help="plan JOB CLIP TEXT: confirm first (nothing paid until confirm); "
                        "plan --offline: plan JSON lines on stdin with no services")

    plan = sub.add_parser("plan-online", help="the same as plan JOB CLIP TEXT")
    _clip_args(plan)
    plan.add_argument("instruction")
    plan.add_argument("--expires-in", type=float, default=None,
                      help="seconds before an unconfirmed plan expires (default 900)")
    plan.add_argument("--json", action="store_true")
    plan.add_argument("--poll-interval", type=float, default=None, help="seconds between status checks")

    confirm = sub.add_parser("confirm", help="pay for a planned regeneration and follow it")
    _clip_args(confirm, or_batch=True)
    confirm.add_argument("--revision", type=int, default=None,
                         help="refuse unless this is still the current plan")
    confirm.add_argument("--json", action="store_true")

    revise = sub.add_parser("revise", help="re-plan with a follow-up instruction (nothing paid)")
    _clip_args(revise)
    revise.add_argument("instruction")
    revise.add_argument("--json", action="store_true")

    cancel = sub.add_parser("cancel", help="drop a planned regeneration (nothing paid)")
    _clip_args(cancel, or_batch=True)

    batch = sub.add_parser("batch", help="plan several clips at once (one confirmation)")
    batch.add_argument("job_id", type=UUID)
    batch.add_argument("instruction", nargs="?", help="one instruction for every listed clip")
    batch.add_argument("--clips", default="all", help="clip indexes, e.g. 0,2,3 (default: all)")
    batch.add_argument("--clip", action="append", default=[], metavar="N=TEXT",
                       help="one instruction for clip N (repeat; instead of INSTRUCTION)")
    batch.add_argument("--max-concurrent", type=int, default=3, help="clips generated at once")
    batch.add_argument("--yes", action="store_true", help="no confirmation: plan and run")
    batch.add_argument("--expires-in", type=float, default=None,
                       help="seconds before an unconfirmed batch expires (default 900)")
    batch.add_argument("--poll-interval", type=float, default=None)
    batch.add_argument("--json", action="store_true")

    versions = sub.add_parser("versions", help="list a clip's saved versions and reverts")
    _clip_args(versions)
    versions.add_argument("--json", action="store_true")

    revert = sub.add_parser("revert", help="make a saved version of a clip current again")
    _clip_args(revert)
    revert.add_argument("version", type=int)
    revert.add_argument("--json", action="store_true")

    spend = sub.add_parser("spend", help="what was paid per day, job and account (the ledger)")
    spend.add_argument("--json", action="store_true")

    check = sub.add_parser("replay-check",
                           help="replay every open run's history with this build (exit 1 if any fails)")
    check.add_argument("--query", default=None,
                       help="which runs (a list filter); default: every open run")
    check.add_argument("--json", action="store_true")
    migrate = sub.add_parser("migrate", help="apply the database schema with the migration login")
    migrate.add_argument("--grant-to", metavar="ROLE", default=None,
                         help="give this role (the workers' login) its read/write rights")

    mcp = sub.add_parser("mcp", help="serve the tools to an LLM over MCP (stdio, or --http)")
    mcp.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    mcp.add_argument("--host", default="127.0.0.1",
                     help="HTTP address (default 127.0.0.1: the server has no login)")
    mcp.add_argument("--port", type=int, default=8765, help="HTTP port (path /mcp)")

    codec = sub.add_parser("codec-server",
                           help="decode encrypted payloads for the Web UI and the CLI")
    codec.add_argument("--host", default="127.0.0.1")
    codec.add_argument("--port", type=int, default=8081)

    demo = sub.add_parser("demo", help="regenerate a sample clip on the embedded default")
    demo.add_argument("--clip", type=int, default=3)
    demo.add_argument("--instruction", default="make it nighttime")
    demo.add_argument("--poll-interval", type=float, default=1.0)
    demo.add_argument("--keep-running", action="store_true", help="keep the Web UI up afterwards")
    demo.add_argument("--confirm", action="store_true",
                      help="two steps: print the plan and its cost, then confirm it")
    demo.add_argument("--continuity", default="none",
                      choices=["none", "from_previous", "into_next", "both"],
                      help="join the clip to its neighbours' frames (prints which were used)")
    demo.add_argument("--port", type=int, default=7233, help="dev server port")
    demo.add_argument("--ui-port", type=int, default=8233, help="Web UI port")
    return parser.parse_args(argv)


def _clip_args(parser: argparse.ArgumentParser, *, or_batch: bool = False) -> None:
    parser.add_argument("job_id", type=UUID)
    if or_batch:
        parser.add_argument("clip_index", type=_clip_or_batch, metavar="CLIP_INDEX|batch")
    else:
        parser.add_argument("clip_index", type=int)


def _clip_or_batch(text: str) -> int | str:
    return text if text == "batch" else int(text)


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


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
    from retake.client import connect, start_regeneration
    from workflows.models import RegenerateClipInput

    inp = RegenerateClipInput(
        job_id=args.job_id, clip_index=args.clip_index, instruction=args.instruction,
        options=_options(args, dry_run=args.dry_run),
    )
    client = await connect()
    try:
        handle = await start_regeneration(client, inp)
    except WorkflowAlreadyStartedError:
        return _busy(args)
    return await print_outcome(handle, as_json=args.json)


def _options(args: argparse.Namespace, **extra):
    from workflows.models import RegenerateOptions

    options = RegenerateOptions(**extra)
    if getattr(args, "model", None):
        options.video_model = args.model
    if args.poll_interval:
        options.poll_interval_seconds = args.poll_interval
    return options


async def plan_online(args: argparse.Namespace) -> int:
    from retake.client import ClipBusy, connect, plan_regeneration
    from retake.console import render_error, render_proposal
    from workflows.models import RegenerateClipInput

    extra = {"confirm_first": True}
    if args.expires_in:
        extra["confirm_timeout_seconds"] = args.expires_in
    inp = RegenerateClipInput(job_id=args.job_id, clip_index=args.clip_index,
                              instruction=args.instruction, options=_options(args, **extra))
    try:
        _, proposal = await plan_regeneration(await connect(), inp)
    except ClipBusy as busy:
        print(f"{busy.type}: {busy.message}", file=sys.stderr)
        return 2
    except WorkflowUpdateFailedError as err:
        print(render_error(err), file=sys.stderr)
        return 1
    print(render_proposal(proposal, as_json=args.json))
    return 0


async def conversation_step(args: argparse.Namespace) -> int:
    """confirm, revise or cancel: one Update on the clip's planned regeneration."""
    from retake import client as retake
    from retake.answers import RunEndedAnswer
    from retake.console import render_error, render_proposal

    if args.clip_index == "batch":
        return await batch_step(args)
    handle = retake.regeneration_handle(
        await retake.connect(), retake.workflow_id_for(args.job_id, args.clip_index)
    )
    try:
        if args.command == "confirm":
            proposal = await retake.confirm(handle, args.revision)
        elif args.command == "revise":
            proposal = await retake.revise(handle, args.instruction)
        else:
            proposal = await retake.cancel_plan(handle)
    except WorkflowUpdateFailedError as err:
        print(render_error(err).replace("regeneration failed", f"{args.command} refused"),
              file=sys.stderr)
        return 1
    except RunEndedAnswer as ended:
        print(f"{ended.type}: {ended.message}", file=sys.stderr)
        return EXIT_ENDED
    if args.command == "confirm":
        print(f"confirmed revision {proposal.revision}; generating", file=sys.stderr)
        return await print_outcome(handle, as_json=args.json)
    print(render_proposal(proposal, as_json=getattr(args, "json", False)))
    return 0


async def batch(args: argparse.Namespace) -> int:
    from retake.client import connect, plan_batch
    from retake.console import render_batch, render_error
    from workflows.batch_models import RegenerateClipsInput

    per_clip = dict(item.split("=", 1) for item in args.clip)
    extra = {"confirm_first": not args.yes}
    if args.expires_in:
        extra["confirm_timeout_seconds"] = args.expires_in
    clips = "all" if args.clips == "all" else [int(c) for c in args.clips.split(",")]
    inp = RegenerateClipsInput(
        job_id=args.job_id, clips=clips, instruction=args.instruction,
        instructions={int(k): v for k, v in per_clip.items()},
        options=_options(args, **extra), max_concurrent=args.max_concurrent,
    )
    try:
        handle, planned = await plan_batch(await connect(), inp)
    except WorkflowAlreadyStartedError:
        print(f"job {args.job_id} already has a batch running; confirm or cancel it with "
              f"python starter.py confirm|cancel {args.job_id} batch", file=sys.stderr)
        return 2
    except WorkflowUpdateFailedError as err:
        print(render_error(err).replace("regeneration failed", "batch refused"), file=sys.stderr)
        return 1
    if not args.yes:
        print(render_batch(planned, as_json=args.json))
        return 0
    return await print_batch_outcome(handle, as_json=args.json)


async def batch_step(args: argparse.Namespace) -> int:
    """confirm or cancel a job's batch."""
    from retake import client as retake
    from retake.console import render_batch, render_error

    handle = retake.batch_handle(await retake.connect(), args.job_id)
    try:
        if args.command == "confirm":
            await retake.confirm_batch(handle)
        else:
            print(render_batch(await retake.cancel_batch(handle)))
            return 0
    except WorkflowUpdateFailedError as err:
        print(render_error(err).replace("regeneration failed", f"{args.command} refused"),
              file=sys.stderr)
        return 1
    return await print_batch_outcome(handle, as_json=args.json)


async def print_batch_outcome(handle, *, as_json: bool) -> int:
    """Follow a batch to its end: one line per change of its clips' states, then the result."""
    from retake.client import get_batch
    from retake.console import render_batch, render_error

    result = asyncio.ensure_future(handle.result())
    last = ""
    while not result.done():
        try:
            now = await get_batch(handle)
        except Exception:  # closed between two calls; the result tells
            now = None
        if now is not None:
            line = ", ".join(f"clip {c.clip_index} {c.state}" for c in now.clips)
            if line != last:
                print(line, file=sys.stderr)
                last = line
        await asyncio.wait([result], timeout=0.5)
    try:
        outcome = result.result()
    except WorkflowFailureError as err:
        print(render_error(err).replace("regeneration failed", "batch failed"), file=sys.stderr)
        return 1
    print(render_batch(outcome, as_json=as_json))
    return 0 if outcome.failed == 0 and outcome.busy == 0 else 3


def _busy(args: argparse.Namespace) -> int:
    from retake.client import workflow_id_for

    print(
        f"clip {args.clip_index} of job {args.job_id} is already being regenerated; "
        f"follow it with: python starter.py status {workflow_id_for(args.job_id, args.clip_index)}",
        file=sys.stderr,
    )
    return 2


async def versions(args: argparse.Namespace) -> int:
    from retake.client import connect, list_versions
    from retake.console import render_error, render_versions

    try:
        found = await list_versions(await connect(), args.job_id, args.clip_index)
    except WorkflowFailureError as err:
        print(render_error(err).replace("regeneration failed", "listing failed"), file=sys.stderr)
        return 1
    print(found.model_dump_json(indent=2) if args.json else render_versions(found))
    return 0


async def revert(args: argparse.Namespace) -> int:
    from retake.client import connect, revert_clip
    from retake.console import render_error

    try:
        result = await revert_clip(await connect(), args.job_id, args.clip_index, args.version)
    except WorkflowAlreadyStartedError:
        return _busy(args)
    except WorkflowFailureError as err:
        print(render_error(err).replace("regeneration failed", "revert failed"), file=sys.stderr)
        return 1
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(f"clip {result.clip_index} of job {result.job_id}: version {result.version} is "
              f"current (was {result.previous_version or '-'}); video: {result.video_url or '-'}")
    return 0


async def status(args: argparse.Namespace) -> int:
    from temporalio.client import WorkflowExecutionStatus

    from retake.client import connect, get_progress, regeneration_handle

    client = await connect()
    handle = regeneration_handle(client, args.workflow_id)
    desc = await handle.describe()
    print(f"{args.workflow_id}: {desc.status.name if desc.status else 'UNKNOWN'}", file=sys.stderr)
    if desc.workflow_type != "RegenerateClipWorkflow":  # a revert on the clip's id, or a batch
        if desc.status == WorkflowExecutionStatus.RUNNING:
            print(f"{desc.workflow_type}: running")
            return 0
        try:
            result = await client.get_workflow_handle(args.workflow_id).result()
        except WorkflowFailureError as err:
            from retake.console import render_error

            print(render_error(err), file=sys.stderr)
            return 1
        print(f"{desc.workflow_type}: {json.dumps(result, default=str)}")
        return 0
    if desc.status == WorkflowExecutionStatus.RUNNING:
        progress = await get_progress(handle)
        print(progress.model_dump_json() if args.json else f"{progress.stage}: {progress.detail}")
        return 0
    return await print_outcome(handle, as_json=args.json)


async def replay_check(args: argparse.Namespace) -> int:
    from retake.client import connect
    from retake.replay_check import OPEN_RUNS, check_open_runs, render

    report = await check_open_runs(await connect(), query=args.query or OPEN_RUNS)
    print(report.model_dump_json() if args.json else render(report))
    return 1 if report.not_replaying else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["plan"]:
        if len(argv) > 1 and _is_uuid(argv[1]):  # plan JOB CLIP TEXT: confirm first, online
            argv = ["plan-online", *argv[1:]]
        else:
            from retake.plan_cli import run

            return run(argv[1:], sys.stdin, sys.stdout)
    args = parse_args(argv)
    commands = {"regenerate": regenerate, "status": status, "plan-online": plan_online,
                "confirm": conversation_step, "revise": conversation_step,
                "cancel": conversation_step, "versions": versions, "revert": revert,
                "batch": batch, "replay-check": replay_check}
    if args.command in commands:
        try:
            return asyncio.run(commands[args.command](args))
        except RPCError as err:  # one line, never a traceback
            print(f"Temporal refused {args.command}: {err.message} ({err.status.name})",
                  file=sys.stderr)
            return EXIT_TEMPORAL
        except RuntimeError as err:  # e.g. the server cannot be reached
            print(f"{args.command} failed: {err}", file=sys.stderr)
            return EXIT_TEMPORAL
    if args.command == "spend":
        from retake.spend_cli import spend

        return asyncio.run(spend(args.json, sys.stdout, sys.stderr))
    if args.command == "codec-server":
        from retake.codec_server import serve

        return serve(args.host, args.port)
    if args.command == "mcp":
        from retake import mcp_server

        server = (mcp_server.serve_http(args.host, args.port) if args.http
                 else mcp_server.serve_stdio())
        return asyncio.run(server) or 0
    if args.command == "migrate":
        from retake.migrate_cli import migrate

        return asyncio.run(migrate(args.grant_to, sys.stdout, sys.stderr))
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
                confirm_first=args.confirm,
                continuity=args.continuity,
            )
        )
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM: cleaned up
        print("demo stopped; the dev server and embedded Postgres it started are stopped",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    from retake.process import exit_without_teardown

    exit_without_teardown(main(sys.argv[1:]))
