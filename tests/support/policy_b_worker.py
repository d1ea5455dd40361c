"""worker.py running policy B: the rules of a next release, for the deploy test.

Policy B moves the 'brighter' template from the moderate band (0.65: a fresh seed, Veo's
prompt enhancer on) into medium_low (0.45: the clip's stored seed reused, enhancer off)
and bumps POLICY_VERSION, as a real policy release would. It changes the policy's own
module variables before the worker starts; the workflow and the worker are the real ones.
Run as `python tests/support/policy_b_worker.py` from the project root.
"""

from __future__ import annotations

import dataclasses
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from workflows.decisions import policy_version, templates  # noqa: E402

POLICY_B_BAND = "medium_low"


def policy_b_templates() -> tuple[templates.Template, ...]:
    """Today's templates with 'brighter' in policy B's band."""
    return tuple(
        dataclasses.replace(t, band=POLICY_B_BAND) if t.id == "brighter" else t
        for t in templates.TEMPLATES
    )


def apply_policy_b() -> None:
    templates.TEMPLATES = policy_b_templates()
    policy_version.POLICY_VERSION += 1


if __name__ == "__main__":
    apply_policy_b()
    runpy.run_path(str(ROOT / "worker.py"), run_name="__main__")
