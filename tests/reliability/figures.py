"""Figures the reliability scenarios measure, and docs/reliability.md written from them.

Each scenario adds one row (what broke, kills, completions, Veo submissions, new
versions, notes). With RETAKE_RELIABILITY_REPORT=<path> set, the session writes the
table to that file at the end, with the command that produced it.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPORT_ENV = "RETAKE_RELIABILITY_REPORT"


@dataclass
class Row:
    scenario: str
    runs: int
    kills: int
    completions: int
    submissions: int | None
    versions: int | None
    notes: str = ""
    passed: bool = True


@dataclass
class Figures:
    rows: list[Row] = field(default_factory=list)

    def add(self, scenario: str, *, runs: int, kills: int = 0, completions: int = 0,
            submissions: int | None = None, versions: int | None = None, notes: str = "") -> Row:
        row = Row(scenario, runs, kills, completions, submissions, versions, notes)
        self.rows.append(row)
        return row

    def markdown(self, command: str) -> str:
        def cell(value: object) -> str:
            return "-" if value is None else str(value).replace("|", "\\|")

        total = Row("**total**", *(sum(getattr(r, f) or 0 for r in self.rows)
                                   for f in ("runs", "kills", "completions", "submissions",
                                             "versions")))
        lines = [
            "# Reliability figures",
            "",
            "Measured by the reliability suite (`tests/reliability/`): a real Temporal dev",
            "server, a real Postgres, `python worker.py` as a separate process (SIGKILLed",
            "where a row counts kills), and the OpenAI / Vertex Veo emulators at the HTTP wire.",
            "",
            "Produced by:",
            "",
            "```bash",
            command,
            "```",
            "",
            f"Run on {datetime.date.today().isoformat()}, Python {platform.python_version()}, "
            f"{os.cpu_count()} cores.",
            "",
            "| scenario | runs | worker kills | completions | Veo submissions | new versions | notes |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in [*self.rows, total]:
            lines.append(
                f"| {cell(r.scenario)} | {r.runs} | {r.kills} | {r.completions} | "
                f"{cell(r.submissions)} | {cell(r.versions)} | {cell(r.notes)} |"
            )
        lines += [
            "",
            "Runs are regenerations started; completions are those that finished with a",
            "result (or, for bad input and provider refusals, with the expected typed error).",
            "Veo submissions are the emulator's count of accepted (paid) generations; new",
            "versions are rows added to `clip_versions`. Each test's docstring says exactly",
            "what its scenario breaks and how it holds a stage open.",
            "",
        ]
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        command = f"{REPORT_ENV}={os.environ.get(REPORT_ENV)} .venv/bin/python -m pytest " + " ".join(
            a for a in sys.argv[1:] if not a.startswith("--basetemp")
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(command.strip()))
