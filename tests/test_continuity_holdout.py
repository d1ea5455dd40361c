"""The continuity words scored on labelled sets written by helpers who had not read the
rules (tests/data/continuity_holdout*.jsonl: id, instruction, continuity, note).

Every case is scored and the score printed; the test fails only below the set's floor,
so a rule change that loses cases is seen. Labels are never edited to pass: a case the rules get
wrong stays wrong here, and the report names the ones we think are mislabelled.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.decisions.continuity import read_continuity

DATA = Path(__file__).parent / "data"
# Scores may only go up. Set 1 scored 33/40 when it arrived and set 2 (60) 45/60; the
# rules were then extended from set 2's misses (and set 1's), so 39/40 and 60/60 are
# training scores. Set 3 (40), written after those rules and scored once on arrival:
# 33/40 (82.5%); rules were written from its misses in session 7 (40/40 now, training).
# Set 4 (40), written before those rules and scored once on arrival at bf7fed9: 35/40
# (87.5%); its misses then led to rules (40/40 now). Set 5 (40), written after those
# rules, scored once on arrival at d3c3adb: 33/40 (82.5%), the latest unseen measure
# (docs/planner.md); rules from its misses since (40/40 now, training). Set 6 (40), written
# after every rule, scored once on arrival at 4239b66: 37/40 (92.5%); no rule from it.
FLOORS = {
    "continuity_holdout.jsonl": 1.0,
    "continuity_holdout_2.jsonl": 1.0,
    "continuity_holdout_3.jsonl": 1.0,
    "continuity_holdout_4.jsonl": 1.0,
    "continuity_holdout_5.jsonl": 1.0,
    "continuity_holdout_6.jsonl": 0.925,
}


def cases(name: str) -> list[dict]:
    path = DATA / name
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_every_labelled_case_is_scored(name: str) -> None:
    labelled = cases(name)
    wrong = [(c["id"], c["instruction"], c["continuity"], read_continuity(c["instruction"]))
             for c in labelled if read_continuity(c["instruction"]) != c["continuity"]]
    score = 1 - len(wrong) / len(labelled)
    print(f"continuity holdout {name}: {len(labelled) - len(wrong)}/{len(labelled)} = {score:.1%}")
    for case_id, instruction, label, got in wrong:
        print(f"  {case_id}: {instruction!r} labelled {label}, read {got}")
    assert score >= FLOORS[name], wrong
