"""The `unapplied` rules on labelled sets written by helpers who had not read them
(issue #31, point 3): tests/data/unapplied_holdout*.jsonl, copied as written, labels
unedited.

Each case: `expect_applied` true means the offline plan should express the instruction
(and flag nothing); false means part of it cannot be applied, so `unapplied` must list
it: with `must_flag_text` among the flagged text, and the reason matching
`expect_unapplied_kind` when the kind names one of ours. The score is printed; FLOORS
hold each set at its score, so it can only go up.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from activities.planner.offline_planner import plan_offline

DATA = Path(__file__).resolve().parent / "data"
# Each set, by a helper who had not read the rules, with the score it must keep. Set 1
# (60 cases) scored 41/60 when it arrived and set 2 (40) 27/40: the rules in
# workflows/decisions/beyond_rules.py were then written from set 1's misses (set 2's
# were seen too), so their 100% is a training score. Set 3 (50) arrived after, unseen:
# 44/50 (88%). Its misses then led to rules (so 50/50 is a training score now), among
# them v37: plan --offline reads no neighbour frames, so a continuity request there was
# rewritten into the prompt and not listed. Set 4 (50), written after those rules and
# scored once on arrival: 42/50 (84%), the unseen measure (docs/planner.md); rules were
# then written from its misses too (49/50 now: w02 is a continuity request, applied by
# the workflow in frames, which plan_offline does not read). Set 5 (50), written after
# every rule, scored once on arrival: 44/50 (88%). Session 7 wrote rules for the kinds of
# its misses (sound, settings, on-screen text by quotes; 47/50 now: a training score).
# Set 6 (50), written while those rules were written and scored once at bf7fed9 before
# any rule from it: 37/50 (74%), the unseen figure; rules then came from its misses too
# (48/50 now: a flicker the plan negates, which the label counts as not applied, and a
# celebrity named in the crowd, which no rule knows). Set 7 (50), written after those
# rules and scored once on arrival at d3c3adb: 40/50 (80%), the latest unseen figure;
# rules from its misses since (49/50: a hand artefact a fix negates, labelled not applied).
# Set 8 (50), written after every rule and scored once on arrival at 4239b66: 38/50 (76%),
# session 7's last unseen figure; session 8 wrote rules from its four silent misses (a flip,
# "can u make it better", Hinglish): 41/50 now, a training score. Set 9 (50), written after
# those by a helper given only the issue and a description of the planner, scored once on
# arrival at 40e9634: 45/50 (90%), 2 silent misses ("go back to the version before", a
# singer made to "look like Taylor Swift"), the latest unseen figure; no rule from it.
FLOORS = {
    "unapplied_holdout.jsonl": 1.0,
    "unapplied_holdout_2.jsonl": 1.0,
    "unapplied_holdout_3.jsonl": 1.0,
    "unapplied_holdout_4.jsonl": 0.98,
    "unapplied_holdout_5.jsonl": 0.94,
    "unapplied_holdout_6.jsonl": 0.96,
    "unapplied_holdout_7.jsonl": 0.98,
    "unapplied_holdout_8.jsonl": 0.82,
    "unapplied_holdout_9.jsonl": 0.9,
}


def expected_reason(kind: object) -> str | None:
    """Our reason for a label's kind, when the kind names one (free text otherwise)."""
    text = str(kind or "").lower()
    if "lang" in text:
        return "other_language"
    if any(w in text for w in ("inject", "system", "instruction", "prompt")):
        return "instructions_to_system"
    if any(w in text for w in ("express", "miss", "ignor", "contradict", "kept", "keep",
                               "unsupport", "dropped", "not_applied", "silent")):
        return "not_expressed"
    return None


def truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "yes", "1", "applied")


@dataclass
class Score:
    passed: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


def check(case: dict) -> str | None:
    """Why the offline plan misses the case's label, or None when it meets it."""
    plan = plan_offline(case["instruction"], case["prompt"], case.get("original_seed"),
                        random.Random(0))
    flagged = [(p.text, p.reason) for p in plan.unapplied]
    if truthy(case.get("expect_applied")) and not case.get("must_flag_text"):
        return f"flagged {flagged} though it should apply" if flagged else None
    if not flagged:
        return f"nothing flagged (silent miss) -> {plan.prompt!r}"
    must = str(case.get("must_flag_text") or "").lower().strip()
    texts = " | ".join(t.lower() for t, _ in flagged)
    if must and must not in texts and not any(t.lower() in must for t, _ in flagged):
        return f"flagged {flagged}, not {must!r}"
    reason = expected_reason(case.get("expect_unapplied_kind"))
    if reason and reason not in {r for _, r in flagged}:
        return f"flagged {flagged}, expected reason {reason}"
    return None


def score_cases(cases: list[dict]) -> Score:
    score = Score()
    for case in cases:
        score.total += 1
        problem = check(case)
        if problem is None:
            score.passed += 1
        else:
            score.failures.append(f"{case.get('id')}: {problem}")
    return score


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_offline_rules_on_the_unseen_labelled_sets(name):
    path = DATA / name
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    score = score_cases(cases)
    report = f"{score.passed}/{score.total} = {score.rate:.3f}\n" + "\n".join(score.failures)
    print(report)
    assert score.total == len(cases) >= 40 and score.rate >= FLOORS[name], report
