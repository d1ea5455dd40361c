"""The text fallback for an LLM reply that is not the expected JSON.

The policy: parse what can be parsed, and use temperature 0.7 unless a number is
clearly stated next to the word "temperature". A reply without a recognisable prompt
keeps the original prompt rather than sending chat text ("Sure! Here is...") to Veo.
"""

from __future__ import annotations

import json
import re

from workflows.decisions.temperature import FALLBACK_TEMPERATURE
from workflows.models import PlannerKind
from workflows.step_models import PromptSuggestion

_TEMPERATURE_RE = re.compile(
    r"\btemp(?:erature)?\b[\"'*\s]*(?:[:=]|is|of|should be|to|at|would be|around|about|~)?[\"'*\s]*"
    r"(?P<value>(?:0|1)?\.\d+|[01](?:\.0+)?)(?![\d.])",
    re.IGNORECASE,
)
_LABEL = r"(?:\*\*)?{name}(?:\*\*)?\s*[:=]\s*(?:\*\*)?"
_PROMPT_RE = re.compile(
    _LABEL.format(name=r"(?:new |modified |updated |revised )?prompt")
    + r"(?P<value>.+?)\s*(?:\n|$)",
    re.IGNORECASE,
)
_REASONING_RE = re.compile(
    _LABEL.format(name=r"(?:reasoning|reason|why|explanation)") + r"(?P<value>.+?)\s*(?:\n|$)",
    re.IGNORECASE,
)
_JSON_STRING_RE = r'"{key}"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)"'


def _json_string(text: str, key: str) -> str | None:
    match = re.search(_JSON_STRING_RE.format(key=key), text)
    if not match:
        return None
    try:
        return json.loads(f'"{match["value"]}"')
    except ValueError:
        return match["value"]


def _labelled(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match["value"].strip().strip("\"'`*").strip() if match else None


def parse_llm_text_reply(text: str, original_prompt: str) -> PromptSuggestion:
    """A suggestion from free text: labelled or JSON-ish fields, else the original prompt."""
    prompt = _json_string(text, "prompt") or _labelled(_PROMPT_RE, text) or original_prompt
    reasoning = _json_string(text, "reasoning") or _labelled(_REASONING_RE, text)
    match = _TEMPERATURE_RE.search(text)
    temperature = float(match["value"]) if match else FALLBACK_TEMPERATURE
    note = "LLM reply was not the expected JSON; parsed as text"
    if not match:
        note += f", no temperature stated so {FALLBACK_TEMPERATURE}"
    if prompt == original_prompt:
        note += ", no new prompt found so the original is kept"
    return PromptSuggestion(
        prompt=prompt,
        temperature=temperature,
        reasoning=f"{reasoning} ({note})." if reasoning else f"{note}.",
        planner=PlannerKind.LLM,
        parsed_as_json=False,
    )
