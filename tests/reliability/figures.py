"""Figures the reliability scenarios measure, and docs/reliability.md written from them.

Each scenario adds one row (what broke, kills, completions, Veo submissions, new
versions, notes, and the test that asserts them, taken from PYTEST_CURRENT_TEST). With
RETAKE_RELIABILITY_REPORT=<path> set, the session writes the table to that file at the
end, with the command that produced it; whatever the file holds from its first
second-level heading (`## `) on is kept.
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
    test: str = ""  # the test whose assertions back the row
    passed: bool = True


def current_test() -> str:
    """`file::name` of the running test (pytest sets PYTEST_CURRENT_TEST)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("[")[0]


@dataclass
class Figures:
    rows: list[Row] = field(default_factory=list)

    def add(self, scenario: str, *, runs: int, kills: int = 0, completions: int = 0,
            submissions: int | None = None, versions: int | None = None, notes: str = "") -> Row:
        row = Row(scenario, runs, kills, completions, submissions, versions, notes,
                  current_test())
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
            "| scenario | runs | worker kills | completions | Veo submissions | new versions | notes "
            "| asserted by |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in [*self.rows, total]:
            lines.append(
                f"| {cell(r.scenario)} | {r.runs} | {r.kills} | {r.completions} | "
                f"{cell(r.submissions)} | {cell(r.versions)} | {cell(r.notes)} | "
                f"{f'`{r.test}`' if r.test else ''} |"
            )
        lines += [
            "",
            "Runs are regenerations started; completions are those that finished with a",
            "result (or, for bad input and provider refusals, with the expected typed error).",
            "Veo submissions are the emulator's count of accepted (paid) generations; new",
            "versions are rows added to `clip_versions`. The counts of each row (completions,",
            "submissions, versions, possible duplicates) are asserted by the test named in it,",
            "so a wrong count fails it; the other notes are what that run measured. The test's",
            "docstring says what its scenario breaks and how it holds a stage open.",
            "",
            "Paid once under kills is checked operation by operation: the emulator's paid",
            "operations against `veo_operations`, `veo_submissions.possible_duplicates` and",
            "`clip_versions` (`tests/reliability/money.py`); a second payment fails the test",
            "unless the ledger and the result count it as a possible duplicate (the kill",
            "mid-POST row).",
            "",
        ]
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        command = f"{REPORT_ENV}={os.environ.get(REPORT_ENV)} .venv/bin/python -m pytest " + " ".join(
            a for a in sys.argv[1:] if not a.startswith("--basetemp")
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        kept = ""
        if path.exists():
            old = path.read_text()
            kept = old[old.index("\n## ") + 1:] if "\n## " in old else ""
        path.write_text(self.markdown(command.strip()) + ("\n" + kept if kept else ""))
