"""Run the benchmarks and write their sections of docs/benchmarks.md.

    .venv/bin/python benchmarks/run_all.py            # the full run (~35 minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # smaller counts (~3 minutes)
    .venv/bin/python benchmarks/run_all.py --only store references   # those sections alone

Each figure's section replaces the doc's section of the same heading (a heading that
goes on, like "... (session 9)", still matches) and nothing else: sections written by
hand (a before/after comparison, a figure measured once) are kept where they are.

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
import bench_budget_check  # noqa: E402
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
    ("budgets", f"{PY}/bench_budget_check.py 200",
     lambda: bench_budget_check.run(200), lambda: bench_budget_check.run(50)),
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
    "budgets": f"{PY}/bench_budget_check.py 50",
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


def split_sections(doc: str) -> tuple[str, list[str]]:
    """The text before the first `## ` heading, and each section from its heading on."""
    head, *rest = ("\n" + doc).split("\n## ")
    return head.lstrip("\n"), ["## " + part.rstrip("\n") + "\n" for part in rest]


def merge(old_doc: str, head: str, generated: list[str]) -> str:
    """`old_doc` with `head` in place of its text before the sections, and each generated
    section in place of the old one of the same heading, or of that heading and a note in
    brackets (added at the end when there is none); every other section kept as it was."""
    _, sections = split_sections(old_doc)
    _, fixed = split_sections(head)  # Machine and Commands, always rewritten
    for new in fixed + generated:
        heading = new.split("\n", 1)[0]
        at = next((i for i, old in enumerate(sections)
                   if (first := old.split("\n", 1)[0]) == heading
                   or first.startswith(heading + " (")), None)
        if at is None:
            sections.append(new)
        else:
            sections[at] = new
    return split_sections(head)[0].rstrip("\n") + "\n\n" + "\n".join(sections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a check")
    parser.add_argument("--only", nargs="*", help="run only these figures (other sections kept)")
    args = parser.parse_args()

    sections = []
    for name, command, full, quick in FIGURES:
        if args.only and name not in args.only:
            continue
        shown = QUICK_COMMANDS.get(name, command) if args.quick else command
        print(f"--- {name}: {shown}", flush=True)
        t0 = time.monotonic()
        section = (quick if args.quick else full)()
        took = time.monotonic() - t0
        print(section, flush=True)
        sections.append(section.rstrip() + f"\n\nCommand: `{shown}` ({took:.0f} s, "
                        f"{'quick run, ' if args.quick else ''}{datetime.now(UTC):%Y-%m-%d %H:%M} UTC).\n")

    commands = [f"- {name}: `{command}`" for name, command, _, _ in FIGURES]
    head = "\n".join([
        "# Benchmarks",
        "",
        "Retake's own cost next to the plain alternative. Regeneration time is dominated by Veo "
        "(minutes); everything here uses local emulators at the HTTP wire so only Retake's part "
        "is measured. `.venv/bin/python benchmarks/run_all.py` rewrites the machine, the "
        "commands and the section of each figure it runs (each section names its command and "
        "when it ran); sections written by hand say so and are kept.",
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
        "Everything: `.venv/bin/python benchmarks/run_all.py` (add `--quick` for smaller counts, "
        "`--only NAME ...` for some). One figure at a time:",
        "",
        *commands,
        "",
    ])
    old = DOC.read_text() if DOC.exists() else ""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(merge(old, head, sections))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
