"""The pure decision code the workflow calls: how to plan a clip, and how to soften a
prompt after Veo's content filter. No I/O, no clock, no global randomness.

The modules behind it, one rule each: templates.py (the six templates), temperature.py
(bands, clamping, sameness), seeds.py (reuse or draw), negative_prompts.py,
prompt_rewrites.py (wording changes), sanitise.py (after a filter), veo_models.py (the Veo
model catalogue: limits, prices, sources), veo_limits.py (generated and delivered seconds,
reference images), operation_errors.py (which failed Veo operations get one
resubmission), phrases.py (the words they listen for), and policy_version.py
(POLICY_VERSION, bumped by hand when a rule changes a plan).
"""

from workflows.decisions.operation_errors import (
    TRANSIENT_RESUBMISSIONS,
    is_transient_operation_error,
)
from workflows.decisions.planning import CONVERSATION_WINDOW, AskPlanner, finalize_plan, plan_clip
from workflows.decisions.policy_version import POLICY_VERSION
from workflows.decisions.sanitise import sanitise_prompt

__all__ = [
    "CONVERSATION_WINDOW",
    "POLICY_VERSION",
    "TRANSIENT_RESUBMISSIONS",
    "AskPlanner",
    "finalize_plan",
    "is_transient_operation_error",
    "plan_clip",
    "sanitise_prompt",
]
