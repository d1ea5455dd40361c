"""A softer prompt for the one retry after Veo's content filter.

Veo reports why it filtered a generation as text carrying support codes (Vertex AI
responsible-AI docs: e.g. 58061214 child, 61493863 violence). The codes and words in
the reasons pick which word lists apply; with no recognisable category all of them do.
Pure and deterministic: the same prompt and reasons give the same rewrite.
"""

from __future__ import annotations

import re

from workflows.decisions.prompt_rewrites import append_clause, apply_rules, tidy

SUPPORT_CODES: dict[str, str] = {
    "58061214": "child", "17301594": "child",
    "29310472": "celebrity", "15236754": "celebrity", "64151117": "celebrity",
    "62263041": "dangerous",
    "57734940": "hate", "22137204": "hate",
    "39322892": "person",
    "92201652": "personal",
    "89371032": "prohibited", "49114662": "prohibited", "72817394": "prohibited",
    "90789179": "sexual", "63429089": "sexual", "43188360": "sexual",
    "78610348": "toxic",
    "61493863": "violence", "56562880": "violence",
    "32635315": "vulgar",
}  # fmt: skip
_CATEGORY_WORDS = re.compile(
    r"\b(child|celebrity|dangerous|hate|person|personal|prohibited|sexual|toxic|violen\w*|vulgar)"
)

_WORD_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "violence": (
        (r"\b(?:blood[- ]?soaked|bloody|blood|gore|gory|gruesome|wounds?|wounded)\b", ""),
        (r"\b(?:guns?|rifles?|pistols?|weapons?|knives|knife|swords?|bombs?)\b", "props"),
        (r"\b(?:kill(?:s|ing|ed)?|murder(?:s|ing|ed)?|stab(?:s|bing|bed)?)\b", "confront"),
        (r"\b(?:fight(?:s|ing)?|brawl(?:s|ing)?|riot(?:s|ing)?)\b", "dance battle"),
        (r"\b(?:explosions?|explod(?:e|es|ing))\b", "bursts of light"),
        (r"\b(?:corpses?|dead bodies|dead body)\b", "fallen leaves"),
    ),
    "sexual": (
        (r"\b(?:sexy|seductive|sensual|provocative|erotic|steamy)\b", "stylish"),
        (r"\b(?:nude|naked|topless|undressed|shirtless)\b", "fully clothed"),
        (r"\b(?:lingerie|underwear|bikinis?)\b", "evening wear"),
    ),
    "child": (
        (r"\b(?:children|kids|toddlers|babies|minors|teenagers|teens)\b", "adults"),
        (r"\b(?:child|kid|toddler|baby|minor|teenager|teen)\b", "adult"),
        (r"\b(?:little |young )?(?:schoolgirl|girl)\b", "young woman"),
        (r"\b(?:little |young )?(?:schoolboy|boy)\b", "young man"),
    ),
    "dangerous": (
        (r"\b(?:drugs?|cocaine|heroin|meth|syringes?|needles?|pills)\b", ""),
        (r"\b(?:on fire|burning|arson)\b", "glowing"),
    ),
    "hate": ((r"\b(?:hateful|racist|nazi\w*|slurs?)\b", ""),),
    "vulgar": ((r"\b(?:fuck\w*|shit\w*|damn\w*|bitch\w*|ass(?:hole)?s?)\b", ""),),
}
_WORD_RULES["toxic"] = _WORD_RULES["hate"] + _WORD_RULES["vulgar"]
_WORD_RULES["prohibited"] = (
    _WORD_RULES["violence"] + _WORD_RULES["sexual"] + _WORD_RULES["dangerous"]
)
_PEOPLE_CLAUSE = "original fictional characters"
_SAFETY_CLAUSE = "tasteful, non-graphic"


def filter_categories(filter_reasons: list[str]) -> set[str]:
    """The responsible-AI categories named by support codes or words in the reasons."""
    found: set[str] = set()
    for reason in filter_reasons:
        found.update(
            SUPPORT_CODES[code] for code in re.findall(r"\d{8}", reason) if code in SUPPORT_CODES
        )
        for word in _CATEGORY_WORDS.findall(reason.lower()):
            found.add("violence" if word.startswith("violen") else word)
    return found


def sanitise_prompt(prompt: str, filter_reasons: list[str]) -> str:
    """Drop or soften the risky words for the filtered categories (all, if none is known)."""
    categories = filter_categories(filter_reasons) or set(_WORD_RULES) | {"celebrity"}
    rewritten = prompt
    for category in sorted(categories):
        rewritten = apply_rules(rewritten, _WORD_RULES.get(category, ()))
    rewritten = tidy(re.sub(r"\b(a|an|the)\s+(?=[,.;]|$)", "", rewritten))
    if categories & {"celebrity", "person", "personal"}:
        rewritten = append_clause(rewritten, _PEOPLE_CLAUSE)
    return append_clause(rewritten, _SAFETY_CLAUSE)
