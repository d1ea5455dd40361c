"""The offline planner on the independent rewrite set (issue 18).

tests/data/rewrite_cases.jsonl was written from the decision policy and the issue alone,
by someone who had not read the rules: each case names the band, the template, what the
new prompt must and must not say, and what the negative prompt must name.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.policy_eval import score_rewrites

CASES = Path(__file__).resolve().parent / "data" / "rewrite_cases.jsonl"


def load_cases() -> list[dict]:
    return [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]


def test_rewrite_set_is_independent_and_broad() -> None:
    cases = load_cases()
    assert len(cases) >= 150
    assert len({case["id"] for case in cases}) == len(cases)
    assert len({case["category"] for case in cases}) >= 10


def test_offline_rewrites_meet_the_goals() -> None:
    score = score_rewrites(load_cases())
    report = "\n".join(score.failures)
    assert score.pass_rate >= 0.90, f"{score.pass_rate:.3f}\n{report}"
    assert score.policy.template_precision == 1.0, report
    assert score.policy.template_recall >= 0.95, report
    assert score.policy.seed_rate == 1.0, report
    assert not score.doubled, score.doubled


def test_no_rewrite_says_requested_change() -> None:
    score = score_rewrites(load_cases())
    assert not [f for f in score.failures if "requested change:" in f.lower()]
