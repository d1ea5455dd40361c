"""The planner's reply, checked: what Veo receives never contradicts the instruction.

Applies `workflows.decisions.rewrite_checks.check_rewrite` to an LLM suggestion and says
in the reasoning what it repaired, so a corrected prompt is never a silent surprise.
"""

from __future__ import annotations

from workflows.decisions.rewrite_checks import check_rewrite
from workflows.step_models import PromptRequest, PromptSuggestion


def checked_suggestion(req: PromptRequest, suggestion: PromptSuggestion) -> PromptSuggestion:
    prompt, notes = check_rewrite(req.instruction, req.context.prompt, suggestion.prompt)
    if not notes:
        return suggestion
    reasoning = f"{suggestion.reasoning.rstrip(' .')}. Prompt checked: {'; '.join(notes)}."
    return suggestion.model_copy(
        update={"prompt": prompt, "reasoning": reasoning.strip(" .") + "."}
    )
