"""Mutation testing of the modules that pay, save, decide and converse (cosmic-ray).

Each target pairs one module with the tests that should notice a one-line slip in it, so
a run fits this machine; cosmic-ray mutates the module in place, one mutant at a time,
and runs those tests. Run from a clean checkout (it edits files while it runs):

    .venv/bin/pip install cosmic-ray
    .venv/bin/python mutation/run.py [TARGET ...]      # all targets by default

Results go to mutation/sessions/*.sqlite and a summary to stdout; docs/mutation.md keeps
the scores with every surviving mutant killed or explained. Not part of CI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = f"{sys.executable} -m pytest -x -q -n 0 -p no:cacheprovider"
TARGETS = {
    "trust": ("workflows/trust.py", "tests/test_trust_rules.py"),
    "submitted": ("workflows/submitted.py", "tests/test_submitted_mapping.py"),
    "generation_attempts": ("workflows/generation_attempts.py",
                            "tests/test_generation_attempts.py"),
    "conversation": ("workflows/conversation.py", "tests/test_conversation_rules.py"),
    "dsn": ("activities/postgres/dsn.py", "tests/test_secret_settings.py"),
    "seeds": ("workflows/decisions/seeds.py", "tests/test_decisions_properties.py"),
    "temperature": ("workflows/decisions/temperature.py", "tests/test_decisions_properties.py"),
    "ledger": ("activities/video/submission_ledger.py", "tests/test_data_ledger.py"),
    "spend_rules": ("workflows/decisions/spend.py", "tests/test_spend_rules.py"),
    "plan_summary": ("workflows/decisions/plan_summary.py",
                     "tests/test_spend_rules.py tests/test_plan_summary.py tests/test_unapplied.py"),
    "budgets": ("activities/video/budgets.py", "tests/test_budgets.py"),
    "video_store": ("activities/video/store.py", "tests/test_video_store.py"),
    "job_store": ("activities/job_store/job_store_activities.py",
                  "tests/test_job_store_persist.py tests/test_job_store.py tests/test_clip_versions.py"),
    "versions": ("activities/job_store/version_activities.py", "tests/test_clip_versions.py"),
    "errors": ("activities/errors.py", "tests/test_error_mapping.py tests/test_secret_settings.py"),
}


def config(name: str, module: str, tests: str) -> Path:
    path = ROOT / "mutation" / "sessions" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        "timeout = 120.0\n"
        "excluded-modules = []\n"
        f'test-command = "{PYTEST} {tests}"\n\n'
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    return path


def run(name: str) -> str:
    module, tests = TARGETS[name]
    cfg = config(name, module, tests)
    session = cfg.with_suffix(".sqlite")
    session.unlink(missing_ok=True)
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "cosmic-ray", "init", cfg, session], cwd=ROOT, check=True)
    subprocess.run([bin_dir / "cosmic-ray", "exec", cfg, session], cwd=ROOT, check=True)
    report = subprocess.run([bin_dir / "cr-report", session, "--show-pending"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    return report


if __name__ == "__main__":
    for target in sys.argv[1:] or list(TARGETS):
        text = run(target)
        (ROOT / "mutation" / "sessions" / f"{target}.report.txt").write_text(text)
        print(f"== {target}: " + " ".join(text.strip().splitlines()[-3:]))
