"""Prompt rewrites for the templates: replace what conflicts, then add the change once.

"nighttime" on "a rooftop at sunset" must give "a rooftop at night", not "a rooftop at
sunset, at night". Each rewrite is an ordered list of (pattern, replacement) applied
case-insensitively, then a closing clause appended only if it is not already there.
Applying the same template twice gives the same prompt.
"""

from __future__ import annotations

import re

from workflows.decisions.prompt_edits import append_clause, apply_rules, drop_phrases, tidy
from workflows.decisions.scene_words import (
    CLOCK_TIME,
    DARK_PLACE_RE,
    HIGH_SUN_RE,
    NIGHT_ONLY_RE,
    SUNSET_SKY_RE,
)

Rule = tuple[str, str]

_DAY_WORDS = r"(?:afternoon|morning|midday|noon|sunset|sunrise|dawn|dusk|twilight|daybreak)"
_NIGHT_RULES: tuple[Rule, ...] = (
    (
        r"\b(?:in|during) the (?:early |late )?(?:afternoon|morning|daytime|day|evening)\b",
        "at night",
    ),
    (
        r"\b(?:at|during) (?:the )?(?:sunset|sunrise|dawn|dusk|noon|midday|golden hour|twilight"
        r"|daybreak|first light)\b",
        "at night",
    ),
    (
        r"\b(?:in|under) (?:the )?(?:broad |bright )?(?:daylight|sunlight|sunshine|midday sun"
        r"|afternoon sun|morning sun)\b",
        "under moonlight",
    ),
    (r"\bon a (?:(?:bright|clear|sunny|warm) )*(?:day|afternoon|morning)\b", "on a clear night"),
    (r"\bgolden[- ]hour\b", "moonlit"),
    (r"\b(?:sunlit|sun-drenched|sun-soaked|sunny)\b", "moonlit"),
    (r"\b(?:bright )?(?:sunlight|sunshine|daylight)\b", "moonlight"),
    (r"\b(?:clear blue|cloudless|blue) sky\b", "night sky"),
    (r"\bdaytime\b", "nighttime"),
    (rf"\b{_DAY_WORDS}\b", "night"),
)
_DAY_RULES: tuple[Rule, ...] = (
    (
        r"\b(?:late at|in the middle of the|in the dead of the|at|by) night\b|\bat midnight\b"
        rf"|\bat {CLOCK_TIME}"
        r"|\bafter dark\b|\bin the (?:evening|night)\b|\bat (?:dusk|twilight|sunset|sunrise|dawn)\b"
        r"|\bduring (?:the )?golden hour\b",
        "during the day",
    ),
    (r"\bnighttime\b", "daytime"),
    (r"\bmoonlit\b|\bstarlit\b", "sunlit"),
    (r"\bmoonlight\b", "sunlight"),
    (r"\b(?:night|starry|dark|starlit) sky\b", "blue sky"),
    (r"\bmidnight\b", "midday"),
    (r"\bgolden[- ]hour\b|\b(?:evening|dusk|twilight|sunset)\b", "daylight"),
    (r"\bnight\b", "day"),
)
_BRIGHTER_RULES: tuple[Rule, ...] = (
    (r"\bdimly[- ]lit\b|\bpoorly[- ]lit\b|\bdark(?:ly)?[- ]lit\b", "brightly lit"),
    (r"\blow[- ]key\b", "high-key"),
    (r"\bunderexposed\b", "well exposed"),
    (r"\b(?:dim|dark|low|murky|gloomy|moody) (lighting|light)\b", r"bright \1"),
)
# Only when the change is not slight: "a bit brighter" keeps a dim bar dim-ish.
_BRIGHTER_FULLY_RULES: tuple[Rule, ...] = (
    (r"\b(?:dim|shadowy|gloomy|murky|dingy)\b,?\s*", ""),
)
_DARKER_RULES: tuple[Rule, ...] = (
    (r"\bbrightly[- ]lit\b|\bwell[- ]lit\b", "dimly lit"),
    (r"\bhigh[- ]key\b", "low-key"),
    (r"\boverexposed\b", "well exposed"),
    (r"\b(?:blasted|flooded|drenched|bathed)\b", "lit"),
    (r"\b(?:bright|harsh|strong|glaring) (lighting|light|lights|floodlights|spotlights?)\b", r"dim \1"),
)
_STILL = r"(?:static|still|locked[- ]off|fixed|stationary|tripod|motionless)"
_MORE_MOTION_RULES: tuple[Rule, ...] = (
    (rf"\b(?:{_STILL}\s+)+((?:wide |close |medium |long )?shot)\b", r"tracking \1"),
    (rf"\b(?:{_STILL}\s+)+(?:camera|frame|cam)\b", "moving camera"),
    (r"\bcamera (?:completely |perfectly )?(?:still|static|motionless)\b", "camera moving"),
    (r"\s*\bon a tripod\b", ""),
    (r"\bslow (dolly|pan|push|zoom|tracking|crane|tilt|drift|motion)\b", r"swift \1"),
)
_SHAKY = (
    r"(?:shaky|jittery|bouncy|erratic|wobbly|frantic|frenetic|violently shaking|shaking"
    r"|unsteady|jerky|handheld|hand-held)"
)
_FAST = r"(?:fast|quick|rapid|frantic|frenetic|whip|crash|snap|erratic|wild|swift)"
_LESS_MOTION_RULES: tuple[Rule, ...] = (
    (rf"\b(?:{_SHAKY}\s+)+(?:camera|cam|footage|camerawork)\b", "steady camera"),
    (rf"\b(?:{_SHAKY}\s+)*(?:handheld|hand-held)\b", "steady camera"),
    (
        rf"\b{_FAST}(?:\s+{_FAST})*\s+((?:drone\s+|dolly\s+|camera\s+)?(?:pans?|zooms?|swoops|spins"
        r"|moves|dolly|tracking shot|motion|cuts|push-ins?))\b",
        r"slow \1",
    ),
    (r"\bfast-moving\b", "slow"),
    (r"\b(?:racing|speeding|rushing|hurtling|careening|whipping|zooming|darting)\b", "gliding"),
    (r"\b(?:swoops|dives|darts|whips|zips)(?:\s+and\s+(?:swoops|dives|darts|whips|zips))?\b", "glides"),
)

# The closing clause per template and degree; the opposite template's clauses are removed.
_CLAUSES: dict[str, dict[str, str]] = {
    "brighter": {
        "slight": "slightly brighter lighting",
        "normal": "brighter lighting, lifted exposure",
        "strong": "much brighter lighting, high exposure",
    },
    "darker": {
        "slight": "slightly darker lighting",
        "normal": "darker lighting, deeper shadows",
        "strong": "much darker lighting, deep shadows, low exposure",
    },
    "more_motion": {
        "slight": "a little more camera movement and motion",
        "normal": "more motion, dynamic camera movement and lively action",
        "strong": "much more motion, energetic camera movement and fast action",
    },
    "less_motion": {
        "slight": "slightly calmer, steadier framing with a little less movement",
        "normal": "calm, steady framing with minimal movement",
        "strong": "very calm, locked-off framing, almost no movement",
    },
    "nighttime": {how: "nighttime lighting" for how in ("slight", "normal", "strong")},
    "daytime": {how: "natural daylight" for how in ("slight", "normal", "strong")},
}
_OPPOSITE = {
    "brighter": "darker",
    "darker": "brighter",
    "more_motion": "less_motion",
    "less_motion": "more_motion",
    "nighttime": "daytime",
    "daytime": "nighttime",
}
_RULES: dict[str, tuple[Rule, ...]] = {
    "brighter": _BRIGHTER_RULES,
    "darker": _DARKER_RULES,
    "more_motion": _MORE_MOTION_RULES,
    "less_motion": _LESS_MOTION_RULES,
    "nighttime": _NIGHT_RULES,
    "daytime": _DAY_RULES,
}


def remove_clauses(prompt: str, template_id: str) -> str:
    for clause in _CLAUSES[template_id].values():
        prompt = re.sub(rf",?\s*{re.escape(clause)}", "", prompt, flags=re.IGNORECASE)
    return prompt


def rewrite_for_template(template_id: str, prompt: str, how: str = "normal") -> str:
    """The prompt with conflicting words replaced and the template's change added once."""
    rewritten = remove_clauses(prompt, _OPPOSITE[template_id])
    for other in _CLAUSES[template_id]:
        if other != how:
            rewritten = rewritten.replace(f", {_CLAUSES[template_id][other]}", "")
    rewritten = apply_rules(rewritten, _RULES[template_id])
    if template_id == "brighter" and how != "slight":
        rewritten = DARK_PLACE_RE.sub("", apply_rules(rewritten, _BRIGHTER_FULLY_RULES))
    rewritten = drop_contradictions(rewritten, template_id)
    if template_id == "nighttime" and not re.search(r"\bnight", rewritten, re.IGNORECASE):
        rewritten = append_clause(rewritten, "at night")
    if template_id == "daytime" and not re.search(
        r"\b(?:day|daytime|daylight|sunlit|sunlight|afternoon|morning|midday|noon|sunny)\b",
        rewritten,
        re.IGNORECASE,
    ):
        rewritten = append_clause(rewritten, "during the day")
    return append_clause(rewritten, _CLAUSES[template_id][how])


# Details only one time of day has: the sun high, a sunset sky, the moon and stars.
_CONTRADICTED_BY: dict[str, tuple[re.Pattern[str], ...]] = {
    "nighttime": (HIGH_SUN_RE, SUNSET_SKY_RE),
    "midnight": (HIGH_SUN_RE, SUNSET_SKY_RE),
    "daytime": (NIGHT_ONLY_RE, DARK_PLACE_RE),
    "noon": (NIGHT_ONLY_RE, SUNSET_SKY_RE),
    "midday": (NIGHT_ONLY_RE, SUNSET_SKY_RE),
    "morning": (NIGHT_ONLY_RE,),
    "afternoon": (NIGHT_ONLY_RE,),
    "golden hour": (NIGHT_ONLY_RE, HIGH_SUN_RE),
    "sunset": (NIGHT_ONLY_RE, HIGH_SUN_RE),
    "sunrise": (NIGHT_ONLY_RE, HIGH_SUN_RE),
    "dawn": (NIGHT_ONLY_RE, HIGH_SUN_RE),
    "dusk": (NIGHT_ONLY_RE, HIGH_SUN_RE),
    "twilight": (NIGHT_ONLY_RE, HIGH_SUN_RE),
    "evening": (HIGH_SUN_RE,),
    "night": (HIGH_SUN_RE, SUNSET_SKY_RE),
}


def drop_contradictions(prompt: str, target: str) -> str:
    """Remove the details that belong to another time of day than `target`."""
    for pattern in _CONTRADICTED_BY.get(target, ()):
        if pattern is DARK_PLACE_RE:
            prompt = pattern.sub("", prompt)
        else:
            prompt = drop_phrases(prompt, pattern)
    return tidy(prompt)


def resolve_time(prompt: str, target: str) -> str:
    """Another planner's prompt made consistent with `target` (nighttime, daytime, dusk...):
    the old time-of-day words replaced, nothing appended when the prompt already says it."""
    if target in ("nighttime", "daytime"):
        return drop_contradictions(apply_rules(prompt, _RULES[target]), target)
    return retime(prompt, target)


_ANY_TIME = (
    r"\b(?:in|during) the (?:early |late )?(?:afternoon|morning|evening|day|daytime|night)\b"
    r"|\b(?:at|during) (?:the )?(?:sunset|sunrise|dawn|dusk|noon|midday|night|midnight|twilight"
    r"|golden hour|blue hour|daybreak)\b|\bat nighttime\b|\bin (?:broad )?daylight\b"
    rf"|\bat {CLOCK_TIME}"
)


def retime(prompt: str, target: str) -> str:
    """Move the prompt to another time of day ("sunset", "dawn"...), replacing the old one."""
    target = target.strip().lower()
    phrase = f"in the {target}" if target in ("morning", "afternoon", "evening") else f"at {target}"
    rewritten, count = re.subn(_ANY_TIME, phrase, prompt, flags=re.IGNORECASE)
    if not count:
        rewritten = append_clause(prompt, phrase)
    key = target.split()[-1] if target.split()[-1] in _CONTRADICTED_BY else target
    return drop_contradictions(rewritten, key)
