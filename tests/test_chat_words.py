"""Chat kept out of the Veo prompt (workflows/decisions/chat_words.py).

Before this rule, 61 of the 467 offline prompts planned from the labelled sets carried the
user's chat into Veo's prompt ("pls make it less bright 🙏🙏 it hurts my eyes", "thank you
so much this is looking amazing 😊"). The measure below was written before the rule:
a debris pattern of its own, not the rule's word list.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from activities.planner.offline_planner import plan_offline
from workflows.decisions.chat_words import without_chat

DATA = Path(__file__).resolve().parent / "data"
DEBRIS = re.compile(
    r"\b(?:please|pls|plz|thanks|thank you|thx|lol|lmao|haha\w*|omg|tbh|ngl|rn|btw)\b"
    r"|[\U0001F300-\U0001FAFF]|\?(?!\w)", re.IGNORECASE)
ORIGINAL = "A drummer plays in a garage, harsh fluorescent light, low-angle shot."


def labelled_cases() -> list[dict]:
    cases = []
    for path in [*sorted(DATA.glob("unapplied_holdout*.jsonl")), DATA / "unseen_instructions.jsonl",
                 DATA / "rewrite_holdout.jsonl"]:
        cases += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [c for c in cases if "instruction" in c and "prompt" in c]


def test_no_offline_prompt_from_the_labelled_sets_carries_chat_into_veo():
    """Every labelled instruction, planned offline: no politeness, laughter or emoji is
    added to the prompt (a question mark inside a link is not chat)."""
    cases = labelled_cases()
    assert len(cases) >= 450
    carried = []
    for case in cases:
        plan = plan_offline(case["instruction"], case["prompt"], case.get("original_seed"),
                            random.Random(0))
        added = [m.group(0) for m in DEBRIS.finditer(plan.prompt)
                 if m.group(0).lower() not in case["prompt"].lower()]
        if added:
            carried.append(f"{case.get('id')}: {added} in {plan.prompt!r}")
    assert not carried, "\n".join(carried)


def test_politeness_emoji_and_marks_go_the_request_stays():
    prompt = ORIGINAL + ", pls make it less bright 🙏🙏 it hurts my eyes?"
    assert without_chat(prompt, ORIGINAL) == ORIGINAL + ", make it less bright it hurts my eyes"


def test_a_mark_between_two_requests_leaves_a_comma():
    prompt = ORIGINAL + ", slow motion!! 🔥🔥 that would go so hard"
    assert without_chat(prompt, ORIGINAL) == ORIGINAL + ", slow motion, that would go so hard"
    prompt = ORIGINAL + ", too dark? a brighter sky"  # the next request, one letter first
    assert without_chat(prompt, ORIGINAL) == ORIGINAL + ", too dark, a brighter sky"


def test_clauses_of_praise_or_greeting_alone_are_dropped():
    prompt = (ORIGINAL + ", Hey, this is looking amazing ok one more thing, dusk instead, "
              "love it so far honestly, great job, wide shot")
    assert without_chat(prompt, ORIGINAL) == ORIGINAL + ", dusk instead, wide shot"


def test_praise_inside_a_request_is_kept():
    """Only a clause that is nothing but praise goes: "a perfect circle of dancers" stays."""
    prompt = ORIGINAL + ", a perfect circle of dancers, a great white shark mural"
    assert without_chat(prompt, ORIGINAL) == prompt


def test_the_original_prompts_own_words_are_never_touched():
    """A scene that has a question mark, "please" or an emoji in it keeps them."""
    original = 'A neon sign reads "PLEASE?" above a bar 🍸, great lighting, ok.'
    assert without_chat(original, original) == original
    assert without_chat(original + ", thx", original) == original


def test_unchanged_text_keeps_its_exact_spacing():
    odd = "A stage  , two singers ,  smoke."
    assert without_chat(odd + " ", odd) == odd + " "


def test_a_question_mark_inside_a_link_is_not_chat():
    prompt = ORIGINAL + ", like https://example.com/watch?v=abc"
    assert without_chat(prompt, ORIGINAL) == prompt


def test_chat_words_are_whole_words_only():
    """"rn" in "burning", "ty" in "empty", "x" in "4x zoom" are not chat."""
    prompt = ORIGINAL + ", a burning barn in an empty field, 4x zoom, box of matches"
    assert without_chat(prompt, ORIGINAL) == prompt


def test_the_plan_says_chat_was_left_out():
    plan = plan_offline("warmer colours pls 🙏", ORIGINAL, None, random.Random(0))
    assert "pls" not in plan.prompt and "🙏" not in plan.prompt
    assert "chat left out of the prompt" in plan.reasoning.lower()
