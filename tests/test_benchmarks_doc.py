"""benchmarks/run_all.py rewrites only the sections it runs: a hand-written section of
docs/benchmarks.md (a before/after comparison, a figure measured once) survives a run."""

from __future__ import annotations

from pathlib import Path

from benchmarks import run_all

ROOT = Path(__file__).resolve().parents[1]

HEAD = "# Benchmarks\n\nIntro, new.\n\n## Machine\n\nnew machine\n\n## Commands\n\n- new\n"
OLD = ("# Benchmarks\n\nIntro, old.\n\n## Machine\n\nold machine\n\n## Commands\n\n- old\n\n"
       "## Planner (pure decision engine)\n\nold planner\n\n"
       "## Check-time planning: the CPU of one plan (session 9)\n\nold plan, by hand\n\n"
       "## Payload encryption (issue 28)\n\nby hand\n")


def test_a_run_replaces_its_sections_and_keeps_the_hand_written_ones_in_place():
    doc = run_all.merge(OLD, HEAD, [
        "## Planner (pure decision engine)\n\nnew planner\n",
        "## Check-time planning: the CPU of one plan\n\nnew plan\n",
        "## Store\n\nnew store\n",
    ])
    assert doc == ("# Benchmarks\n\nIntro, new.\n\n## Machine\n\nnew machine\n\n"
                   "## Commands\n\n- new\n\n"
                   "## Planner (pure decision engine)\n\nnew planner\n\n"
                   "## Check-time planning: the CPU of one plan\n\nnew plan\n\n"
                   "## Payload encryption (issue 28)\n\nby hand\n\n"
                   "## Store\n\nnew store\n")


def test_a_heading_that_merely_begins_the_same_is_another_section():
    old = HEAD + "\n## Scale: one worker\n\nall clips\n\n## Scale: one worker, no video cut\n\nuncut\n"
    doc = run_all.merge(old, HEAD, ["## Scale: one worker, no video cut\n\nuncut, new\n"])
    assert "all clips" in doc and "uncut, new" in doc and "\nuncut\n" not in doc


def test_the_doc_as_it_is_keeps_every_section_when_nothing_runs():
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    _, before = run_all.split_sections(doc)
    _, after = run_all.split_sections(run_all.merge(doc, HEAD, []))
    assert len(after) == len(before) >= 15
    assert after[2:] == before[2:]  # everything but Machine and Commands, word for word
