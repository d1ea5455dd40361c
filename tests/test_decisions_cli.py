"""`plan --offline`: JSON lines in, one plan per line out, bad lines named on stderr."""

from __future__ import annotations

import io
import json

import pytest

from retake.plan_cli import run

REQUIRED = {
    "template_id",
    "temperature",
    "seed",
    "seed_reused",
    "prompt",
    "negative_prompt",
    "reasoning",
    "planner",
}


def run_cli(argv: list[str], stdin_text: str = "") -> tuple[int, list[dict], list[dict]]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, io.StringIO(stdin_text), out, err)
    return (
        code,
        [json.loads(x) for x in out.getvalue().splitlines()],
        [json.loads(x) for x in err.getvalue().splitlines()],
    )


def line(instruction: str, seed: int | None = 4242, prompt: str = "A band at sunset") -> str:
    return json.dumps({"instruction": instruction, "prompt": prompt, "original_seed": seed}) + "\n"


def test_plans_each_line() -> None:
    code, plans, errors = run_cli(
        ["--offline"],
        line("make it nighttime")
        + line("keep it, just add a hat")
        + line("a bit brighter", seed=None),
    )
    assert code == 0 and errors == []
    assert [p["template_id"] for p in plans] == ["nighttime", None, "brighter"]
    assert all(REQUIRED <= set(p) for p in plans)
    assert plans[0]["seed_reused"] is False and plans[1]["seed_reused"] is True
    assert plans[1]["seed"] == 4242 and plans[2]["seed_reused"] is False
    assert "sunset" not in plans[0]["prompt"]


def test_bad_lines_are_reported_and_the_rest_planned() -> None:
    stdin = (
        line("make it darker")
        + "{not json\n"
        + json.dumps([1, 2])
        + "\n"
        + json.dumps({"instruction": "x", "prompt": "p", "original_seed": "12"})
        + "\n"
        + json.dumps({"instruction": "", "prompt": "p"})
        + "\n\n"
        + line("start over")
    )
    code, plans, errors = run_cli(["--offline"], stdin)
    assert code == 2
    assert [p["template_id"] for p in plans] == ["darker", None]
    assert [e["line"] for e in errors] == [2, 3, 4, 5]
    assert "original_seed" in errors[2]["error"] and "instruction" in errors[3]["error"]


def test_same_input_same_output() -> None:
    stdin = line("make it nighttime", seed=None) * 2
    _, plans, _ = run_cli(["--offline"], stdin)
    assert plans[0] == plans[1]
    assert run_cli(["--offline"], stdin)[1] == plans


def test_single_instruction_with_prompt_and_seed() -> None:
    code, plans, _ = run_cli(
        [
            "--offline",
            "--prompt",
            "A band at sunset",
            "--seed",
            "7",
            "only change the guitar to red",
        ]
    )
    assert code == 0 and len(plans) == 1
    assert plans[0]["seed"] == 7 and plans[0]["seed_reused"] is True


def test_prompt_without_instruction_is_an_error() -> None:
    code, plans, errors = run_cli(["--offline", "--prompt", "A band"])
    assert code == 2 and plans == [] and "instruction" in errors[0]["error"]


def test_help_says_what_the_offline_planner_can_and_cannot_do(capsys) -> None:
    with pytest.raises(SystemExit):
        run(["--help"], io.StringIO(), io.StringIO())
    text = capsys.readouterr().out
    assert "what the offline planner can do" in text and "what it cannot do" in text


def test_a_plan_shows_the_rewrite_and_names_its_edits() -> None:
    prompt = "A woman in a blue dress dances in a ballroom, slow dolly shot"
    code, plans, _ = run_cli(["--offline"], line("change her dress to red", 5, prompt))
    assert code == 0
    assert plans[0]["prompt"].startswith("A woman in a red dress dances in a ballroom")
    assert "blue" not in plans[0]["prompt"] and "Requested change" not in plans[0]["prompt"]
    assert "Edits: dress -> red" in plans[0]["reasoning"]
    assert 0.30 <= plans[0]["temperature"] <= 0.40 and plans[0]["seed_reused"] is True
