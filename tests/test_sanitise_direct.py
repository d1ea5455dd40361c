"""The one softer prompt after Veo's content filter (workflows/decisions/sanitise.py):
which categories a reason names, and the whole rewrite, with literal texts."""

from __future__ import annotations

import pytest

from workflows.decisions.sanitise import filter_categories, sanitise_prompt


@pytest.mark.parametrize(
    ("reasons", "categories"),
    [
        (["Violent content detected"], {"violence"}),
        (["VIOLENCE"], {"violence"}),
        (["The prompt mentions a child"], {"child"}),
        (["Support codes: 58061214, 29310472"], {"child", "celebrity"}),
        (["code 12345678 and sexual content"], {"sexual"}),
        (["nothing we know"], set()),
        (["58061214", "hate speech"], {"child", "hate"}),
    ],
)
def test_categories_come_from_support_codes_and_words(
    reasons: list[str], categories: set[str]
) -> None:
    assert filter_categories(reasons) == categories


def test_a_named_category_softens_only_its_own_words() -> None:
    assert sanitise_prompt("A bloody fight with guns", ["violent scene"]) == (
        "A dance battle with props, tasteful, non-graphic"
    )
    assert sanitise_prompt("A sexy dancer with guns", ["Support codes: 90789179"]) == (
        "A stylish dancer with guns, tasteful, non-graphic"
    )


def test_an_unrecognised_reason_applies_every_list_and_the_people_clause() -> None:
    assert sanitise_prompt("A bloody fight with guns", ["unrecognised reason"]) == (
        "A dance battle with props, original fictional characters, tasteful, non-graphic"
    )
    assert sanitise_prompt("A kid runs", []) == (
        "An adult runs, original fictional characters, tasteful, non-graphic"
    )
