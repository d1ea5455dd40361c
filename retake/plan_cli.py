"""`python starter.py plan --offline`: plan instructions with no server, database or network.

Reads JSON lines {"instruction", "prompt", "original_seed"} on stdin (or one instruction
with --prompt) and prints one JSON plan per input. A bad line gets a JSON error on stderr
naming its line number; the others are still planned, and the exit code is 2 at the end.
Seeds come from random.Random(hash of the input), so the same input gives the same plan.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from typing import IO

from activities.planner.offline_planner import plan_offline
from workflows.decisions.veo_models import CATALOGUE
from workflows.models import DEFAULT_VIDEO_MODEL, MAX_INSTRUCTION_CHARS
from workflows.step_models import Plan

EXIT_BAD_INPUT = 2
OFFLINE_LIMITS = """\
what the offline planner can do (docs/planner.md):
  swap an attribute or thing ("change her dress to red"), remove a thing (and name it
  in the negative prompt), add weather, people or objects, change the time of day,
  lighting, camera motion or style, replacing the words they contradict; keep the
  prompt and say a fix positively. Each plan's reasoning lists the edits it made.
what it cannot do:
  rewrite the scene's story, setting or subject, or understand phrasing outside its
  vocabulary; such a change is added as a description, in the user's words, and the
  reasoning says so. Set OPENAI_API_KEY for GPT-4o rewrites.
"""


class BadInput(ValueError):
    """An input line this command cannot plan; the message says what to fix."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="starter.py plan",
        description="Plan clip regenerations offline (templates and rules; no OpenAI call).",
        epilog=OFFLINE_LIMITS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--offline", action="store_true", help="plan with the offline rules (always)"
    )
    parser.add_argument(
        "--prompt", help="the clip's current prompt; plans the one instruction given"
    )
    parser.add_argument("--seed", type=int, help="the clip's original seed (with --prompt)")
    parser.add_argument("--duration", type=float, default=8.0, help="target clip length in seconds")
    parser.add_argument(
        "--model", default=DEFAULT_VIDEO_MODEL, choices=sorted(CATALOGUE),
        help="Veo model (workflows/decisions/veo_models.py), for the cost estimate",
    )
    parser.add_argument("instruction", nargs="?", help="the user's instruction (with --prompt)")
    return parser


def stable_rng(instruction: str, prompt: str, original_seed: int | None) -> random.Random:
    """A random source seeded by the input itself: deterministic across runs and machines."""
    key = json.dumps([instruction, prompt, original_seed], ensure_ascii=False)
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def parse_line(line: str) -> tuple[str, str, int | None]:
    """(instruction, prompt, original_seed) from one JSON line, or BadInput saying why."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise BadInput(f"not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(item, dict):
        raise BadInput('expected a JSON object {"instruction", "prompt", "original_seed"}')
    instruction, prompt, seed = (
        item.get("instruction"),
        item.get("prompt"),
        item.get("original_seed"),
    )
    if not isinstance(instruction, str) or not instruction.strip():
        raise BadInput('"instruction" must be a non-empty string')
    if len(instruction) > MAX_INSTRUCTION_CHARS:
        raise BadInput(f'"instruction" is longer than {MAX_INSTRUCTION_CHARS} characters')
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadInput('"prompt" must be a non-empty string (the clip\'s current prompt)')
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadInput('"original_seed" must be an integer or null')
    return instruction, prompt, seed


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json"), ensure_ascii=False)


def plan_one(instruction: str, prompt: str, seed: int | None, args: argparse.Namespace) -> Plan:
    return plan_offline(
        instruction,
        prompt,
        seed,
        stable_rng(instruction, prompt, seed),
        target_duration=args.duration,
        video_model=args.model,
    )


def run(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """Plan every input; 0 when all were planned, 2 when any input was bad."""
    stderr = stderr if stderr is not None else sys.stderr
    args = _parser().parse_args(argv)
    if args.prompt is not None:
        if not args.instruction:
            print(json.dumps({"error": "--prompt needs an instruction argument"}), file=stderr)
            return EXIT_BAD_INPUT
        print(plan_json(plan_one(args.instruction, args.prompt, args.seed, args)), file=stdout)
        return 0
    status = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            instruction, prompt, seed = parse_line(line)
        except BadInput as err:
            print(json.dumps({"line": number, "error": str(err)}), file=stderr)
            status = EXIT_BAD_INPUT
            continue
        print(plan_json(plan_one(instruction, prompt, seed, args)), file=stdout)
    return status
