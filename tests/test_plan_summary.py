"""The one line a chatbot shows for a plan (workflows/decisions/plan_summary.py), at its
boundaries: how long an instruction may be before it is shortened, how many left-out parts
are named, and when "same seed" is said. Written after a mutation run showed them untested."""

from __future__ import annotations

from decimal import Decimal

from workflows.decisions.plan_summary import plan_summary
from workflows.models import UnappliedPart

COMMON = dict(temperature=0.3, generated_seconds=8, cost_estimate_usd=Decimal("3.20"))


def quoted(line: str) -> str:
    return line.split('"')[1]


def test_an_instruction_of_80_characters_is_shown_whole_and_81_is_shortened() -> None:
    exact = "a" * 80
    assert quoted(plan_summary(exact, seed_reused=True, unapplied=[], **COMMON)) == exact
    longer = "b" * 81
    shown = quoted(plan_summary(longer, seed_reused=True, unapplied=[], **COMMON))
    assert shown == "b" * 77 + "..." and len(shown) == 80
    spaced = quoted(plan_summary("make   it\n dark", seed_reused=True, unapplied=[], **COMMON))
    assert spaced == "make it dark"


def test_same_seed_is_said_only_when_the_seed_is_reused() -> None:
    reused = plan_summary("brighter", seed_reused=True, unapplied=[], **COMMON)
    fresh = plan_summary("brighter", seed_reused=False, unapplied=[], **COMMON)
    assert ": a tiny change, same seed; 8 s of video" in reused  # 0.3: the very_low band
    assert ": a tiny change; 8 s of video for" in fresh  # sound unless told: as plans before


def test_three_left_out_parts_are_named_and_the_rest_counted() -> None:
    parts = [UnappliedPart(text=f"part {i}", reason="not_expressed") for i in range(5)]
    three = plan_summary("x", seed_reused=False, unapplied=parts[:3], **COMMON)
    assert three.endswith('Left out: "part 0" not applied; "part 1" not applied; "part 2" '
                          "not applied.")
    five = plan_summary("x", seed_reused=False, unapplied=parts, **COMMON)
    assert five.endswith('"part 2" not applied (+2 more).') and "part 3" not in five
    four = plan_summary("x", seed_reused=False, unapplied=parts[:4], **COMMON)
    assert four.endswith("(+1 more).")
    six = parts + [UnappliedPart(text="part 5", reason="not_expressed")]
    assert plan_summary("x", seed_reused=False, unapplied=six, **COMMON).endswith("(+3 more).")
    two = plan_summary("x", seed_reused=False, unapplied=parts[:2], **COMMON)
    assert two.endswith('"part 1" not applied.') and "more" not in two


def test_a_long_left_out_part_is_shortened_to_40_characters() -> None:
    part = UnappliedPart(text="k" * 41, reason="other_language")
    line = plan_summary("x", seed_reused=False, unapplied=[part], **COMMON)
    assert f'"{"k" * 37}..." not read (another language)' in line
    whole = UnappliedPart(text="k" * 40, reason="instructions_to_system")
    assert f'"{"k" * 40}" ignored' in plan_summary("x", seed_reused=False, unapplied=[whole],
                                                   **COMMON)
