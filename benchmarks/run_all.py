"""Run every benchmark and write docs/benchmarks.md (machine, versions, commands, figures).

    .venv/bin/python benchmarks/run_all.py            # the full run (~35 minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # smaller counts (~3 minutes)

Each benchmark starts what it needs (dev server, pgserver Postgres, emulators) and
stops it; they run one after another so they do not compete for the machine.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_adaptive  # noqa: E402
import bench_check_plan  # noqa: E402
import bench_conversation  # noqa: E402
import bench_data  # noqa: E402
import bench_fresh_jobs  # noqa: E402
import bench_overhead  # noqa: E402
import bench_planner  # noqa: E402
import bench_polling  # noqa: E402
import bench_quota  # noqa: E402
import bench_references  # noqa: E402
import bench_scale  # noqa: E402
import bench_store  # noqa: E402
import dispatch_stall  # noqa: E402
import psutil  # noqa: E402

DOC = HERE.parent / "docs" / "benchmarks.md"
PY = ".venv/bin/python benchmarks"

# (title, command shown in the doc, full run, quick run)
FIGURES = [
    ("overhead", f"{PY}/bench_overhead.py --runs 50",
     lambda: bench_overhead.run(50), lambda: bench_overhead.run(20)),
    ("dispatch", f"{PY}/dispatch_stall.py --runs 10",
     lambda: dispatch_stall.run(10), lambda: dispatch_stall.run(5)),
    ("data", f"{PY}/bench_data.py --runs 200",
     lambda: bench_data.run(200), lambda: bench_data.run(50)),
    ("planner", f"{PY}/bench_planner.py", bench_planner.run, bench_planner.run),
    ("polling", f"{PY}/bench_polling.py --runs 5 --job-seconds 60",
     lambda: bench_polling.run(5, 60.0), lambda: bench_polling.run(3, 60.0)),
    ("conversation", f"{PY}/bench_conversation.py --runs 30",
     lambda: bench_conversation.run(30), lambda: bench_conversation.run(10)),
    ("scale", f"{PY}/bench_scale.py --workflows 1000 --long 1",
     lambda: bench_scale.run(1000, 1, 60.0, 360.0),
     lambda: bench_scale.run(100, 2, 60.0, 120.0)),
    ("scale-uncut", f"{PY}/bench_scale.py --workflows 1000 --long 1 --long-seconds 90 --uncut-only",
     lambda: bench_scale.run(1000, 1, 60.0, 90.0, bench_scale.UNCUT_CLIPS),
     lambda: bench_scale.run(100, 1, 60.0, 90.0, bench_scale.UNCUT_CLIPS)),
    ("quota", f"{PY}/bench_quota.py --workflows 300 --quota 120",
     lambda: bench_quota.run(300, 120), lambda: bench_quota.run(60, 60)),
    ("adaptive", f"{PY}/bench_adaptive.py --runs 50",
     lambda: bench_adaptive.run(50, 1.0), lambda: bench_adaptive.run(10, 0.25)),
    ("fresh-jobs", f"{PY}/bench_fresh_jobs.py --trials 20",
     lambda: bench_fresh_jobs.run(20), lambda: bench_fresh_jobs.run(5)),
    ("check-plan", f"{PY}/bench_check_plan.py --plans 40",
     lambda: bench_check_plan.run(40), lambda: bench_check_plan.run(10)),
    ("store", f"{PY}/bench_store.py --stores 100 --video-mb 50",
     lambda: bench_store.run(100, 50.0), lambda: bench_store.run(20, 50.0)),
    ("references", f"{PY}/bench_references.py --downloads 20",
     lambda: bench_references.run(20), lambda: bench_references.run(20)),
]
QUICK_COMMANDS = {
    "overhead": f"{PY}/bench_overhead.py --runs 20",
    "dispatch": f"{PY}/dispatch_stall.py --runs 5",
    "data": f"{PY}/bench_data.py --runs 50",
    "polling": f"{PY}/bench_polling.py --runs 3 --job-seconds 60",
    "conversation": f"{PY}/bench_conversation.py --runs 10",
    "scale": f"{PY}/bench_scale.py --workflows 100 --long 2 --long-seconds 120",
    "scale-uncut": f"{PY}/bench_scale.py --workflows 100 --long 1 --long-seconds 90 --uncut-only",
    "quota": f"{PY}/bench_quota.py --workflows 60 --quota 60",
    "adaptive": f"{PY}/bench_adaptive.py --runs 10 --scale 0.25",
    "store": f"{PY}/bench_store.py --stores 20 --video-mb 50",
    "fresh-jobs": f"{PY}/bench_fresh_jobs.py --trials 5",
    "check-plan": f"{PY}/bench_check_plan.py --plans 10",
}


def temporal_cli_version() -> str:
    from retake.embedded import temporal_cli_path

    try:
        out = subprocess.run([temporal_cli_path(), "--version"], capture_output=True, text=True,
                             timeout=30).stdout
        return out.strip().splitlines()[0]
    except (OSError, RuntimeError, IndexError, subprocess.SubprocessError):
        return "unknown"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return "\n".join([
        "| | |",
        "|---|---|",
        f"| CPUs (`nproc`) | {os.cpu_count()} ({cpu}) |",
        f"| memory | {psutil.virtual_memory().total / 2**30:.1f} GiB |",
        f"| OS | {platform.platform()} |",
        f"| Python | {platform.python_version()} |",
        f"| temporalio (Python SDK) | {metadata.version('temporalio')} |",
        f"| Temporal dev server | {temporal_cli_version()} |",
        f"| asyncpg / pgserver (Postgres 16) | {metadata.version('asyncpg')} / "
        f"{metadata.version('pgserver')} |",
        f"| google-genai / openai | {metadata.version('google-genai')} / {metadata.version('openai')} |",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a check")
    parser.add_argument("--only", nargs="*", help="run only these figures (the doc then has only them)")
    args = parser.parse_args()

    sections, commands = [], []
    for name, command, full, quick in FIGURES:
        if args.only and name not in args.only:
            continue
        shown = QUICK_COMMANDS.get(name, command) if args.quick else command
        print(f"--- {name}: {shown}", flush=True)
        t0 = time.monotonic()
        section = (quick if args.quick else full)()
        took = time.monotonic() - t0
        print(section, flush=True)
        sections.append(section.rstrip() + f"\n\nCommand: `{shown}` ({took:.0f} s).\n")
        commands.append(f"- {name}: `{shown}`")

    mode = "quick run (`--quick`)" if args.quick else "full run"
    doc = "\n".join([
        "# Benchmarks",
        "",
        "Retake's own cost next to the plain alternative. Regeneration time is dominated by Veo "
        "(minutes); everything here uses local emulators at the HTTP wire so only Retake's part "
        "is measured. Generated by `.venv/bin/python benchmarks/run_all.py` "
        f"({mode}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC); do not edit by hand.",
        "",
        "## Machine",
        "",
        machine(),
        "",
        "Shared machine: other test suites may run at the same time, so latencies carry some "
        "noise; medians are the figures to read.",
        "",
        "## Commands",
        "",
        "Everything: `.venv/bin/python benchmarks/run_all.py` (add `--quick` for smaller counts). "
        "One figure at a time:",
        "",
        *commands,
        "",
        *sections,
    ])
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(doc)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
