"""Scoring the decision policy against labelled instructions (the eval file's format).

A plan is right when its temperature lies in the labelled band, `seed_reused` equals
(temperature < 0.5 and an original seed exists), and its template equals the label.
Pure: the caller reads the file; tests and the benchmark share this one scorer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from activities.planner.offline_planner import plan_offline
from workflows.decisions.temperature import BANDS, SEED_REUSE_BELOW


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


def score_items(items: list[dict], seed: int = 0) -> PolicyScore:
    """Plan each labelled item offline and count what the policy got right."""
    score = PolicyScore()
    rng = random.Random(seed)
    for item in items:
        plan = plan_offline(item["instruction"], item["prompt"], item.get("original_seed"), rng)
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
        if not (band_ok and seed_ok and plan.template_id == label):
            score.misses.append(
                f"{item['instruction']!r}: band {item['band']} got {plan.temperature:.2f}, "
                f"template {label} got {plan.template_id}, seed_reused {plan.seed_reused}"
            )
    return score
