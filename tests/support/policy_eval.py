"""Scoring the decision policy against labelled instructions (the eval file's format).

A plan is right when its temperature lies in the labelled band, `seed_reused` equals
(temperature < 0.5 and an original seed exists), and its template equals the label.
Rewrite cases (tests/data/rewrite_cases.jsonl) add the wording: substrings the new prompt
must and must not contain, and what the negative prompt must name.
Pure: the caller reads the file; tests and the benchmark share this one scorer.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from activities.planner.offline_planner import plan_offline
from workflows.decisions.temperature import BANDS, SEED_REUSE_BELOW
from workflows.step_models import Plan


@dataclass
class PolicyScore:
    items: int = 0
    template_true_positives: int = 0
    template_false_positives: int = 0
    template_false_negatives: int = 0
    in_band: int = 0
    seed_rule_held: int = 0
    templated: int = 0  # plans that needed no LLM call
    misses: list[str] = field(default_factory=list)

    @property
    def template_precision(self) -> float:
        fired = self.template_true_positives + self.template_false_positives
        return self.template_true_positives / fired if fired else 1.0

    @property
    def template_recall(self) -> float:
        wanted = self.template_true_positives + self.template_false_negatives
        return self.template_true_positives / wanted if wanted else 1.0

    @property
    def band_rate(self) -> float:
        return self.in_band / self.items if self.items else 1.0

    @property
    def seed_rate(self) -> float:
        return self.seed_rule_held / self.items if self.items else 1.0


def _score_plan(score: PolicyScore, item: dict, plan: Plan) -> list[str]:
    """Count one plan against its label; returns what was wrong with it (empty when right)."""
    label = item.get("template_id")
    score.items += 1
    score.templated += plan.template_id is not None
    if plan.template_id is not None and plan.template_id == label:
        score.template_true_positives += 1
    elif plan.template_id is not None:
        score.template_false_positives += 1
    if label is not None and plan.template_id != label:
        score.template_false_negatives += 1
    band_ok = BANDS[item["band"]].contains(plan.temperature)
    seed_ok = plan.seed_reused == (
        plan.temperature < SEED_REUSE_BELOW and item.get("original_seed") is not None
    )
    score.in_band += band_ok
    score.seed_rule_held += seed_ok
    problems = []
    if not band_ok:
        problems.append(f"band {item['band']} got {plan.temperature:.2f}")
    if plan.template_id != label:
        problems.append(f"template {label} got {plan.template_id}")
    if not seed_ok:
        problems.append(f"seed_reused {plan.seed_reused}")
    if problems:
        score.misses.append(f"{item['instruction']!r}: " + ", ".join(problems))
    return problems


def score_items(items: list[dict], seed: int = 0) -> PolicyScore:
    """Plan each labelled item offline and count what the policy got right."""
    score = PolicyScore()
    rng = random.Random(seed)
    for item in items:
        plan = plan_offline(item["instruction"], item["prompt"], item.get("original_seed"), rng)
        _score_plan(score, item, plan)
    return score

@dataclass
class RewriteScore:
    """The offline planner on labelled rewrite cases: the policy's checks plus the wording."""

    policy: PolicyScore = field(default_factory=PolicyScore)
    passed: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)  # category -> [passed, all]
    doubled: list[str] = field(default_factory=list)  # prompts with a word said twice in a row
    failures: list[str] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.policy.items if self.policy.items else 1.0

    def category_rates(self) -> dict[str, float]:
        return {name: ok / total for name, (ok, total) in sorted(self.by_category.items())}


_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)


def _wording_problems(case: dict, prompt: str, negative: str) -> list[str]:
    lowered, negative = prompt.lower(), negative.lower()
    problems = [f"lacks {s!r}" for s in case["must_contain"] if s.lower() not in lowered]
    problems += [f"has {s!r}" for s in case["must_not_contain"] if s.lower() in lowered]
    problems += [
        f"negative lacks {s!r}" for s in case["negative_must_contain"] if s.lower() not in negative
    ]
    return problems


def score_rewrites(cases: list[dict], seed: int = 0) -> RewriteScore:
    """Plan each case offline; a case passes when band, template, seed rule and wording hold."""
    score = RewriteScore()
    rng = random.Random(seed)
    for case in cases:
        plan = plan_offline(case["instruction"], case["prompt"], case.get("original_seed"), rng)
        problems = _score_plan(score.policy, case, plan)
        problems += _wording_problems(case, plan.prompt, plan.negative_prompt or "")
        if _DOUBLED.search(plan.prompt):
            score.doubled.append(plan.prompt)
        tally = score.by_category.setdefault(case["category"], [0, 0])
        tally[1] += 1
        if not problems:
            score.passed += 1
            tally[0] += 1
        else:
            score.failures.append(f"{case['id']}: {'; '.join(problems)} -> {plan.prompt!r}")
    return score
