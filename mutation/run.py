"""Mutation testing of the modules that pay, save, decide and converse (cosmic-ray).

Each target pairs one module with the tests that should notice a one-line slip in it, so
a run fits this machine; cosmic-ray mutates the module in place, one mutant at a time,
and runs those tests. Run from a clean checkout (it edits files while it runs):

    .venv/bin/pip install cosmic-ray
    .venv/bin/python mutation/run.py [TARGET ...]      # all targets by default
    .venv/bin/python mutation/run.py "TARGET=TESTS"    # the target's module, other tests
    .venv/bin/python mutation/run.py --only ExceptionReplacer [TARGET ...]  # one operator

Results go to mutation/sessions/*.sqlite and a summary to stdout; docs/mutation.md keeps
the scores with every surviving mutant killed or explained. Not part of CI.
"""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parents[1]
PYTEST = (f"{sys.executable} -m pytest -x -q -n 0 -p no:cacheprovider"
          " -p mutation.testing_exception")  # defines the name ExceptionReplacer uses
# The fast pure tests of the wording rules (session 9), one pytest run of ~4 s.
_TEXT_TESTS = ("tests/test_decisions_prompt_edits.py tests/test_decisions_offline.py "
               "tests/test_decisions_templates.py tests/test_unapplied.py "
               "tests/test_beyond_rules.py tests/test_unapplied_holdout.py "
               "tests/test_unapplied_words.py tests/test_unapplied_edges.py "
               "tests/test_chat_words.py tests/test_decisions_finalize.py "
               "tests/test_planning_direct.py tests/test_decisions_properties.py")
TARGETS = {
    "trust": ("workflows/trust.py", "tests/test_trust_rules.py"),
    "submitted": ("workflows/submitted.py", "tests/test_submitted_mapping.py"),
    "generation_attempts": ("workflows/generation_attempts.py",
                            "tests/test_operation_errors_direct.py tests/test_generation_attempts.py"),
    "conversation": ("workflows/conversation.py", "tests/test_conversation_rules.py"),
    "dsn": ("activities/postgres/dsn.py", "tests/test_secret_settings.py"),
    "seeds": ("workflows/decisions/seeds.py",
              "tests/test_seed_temperature_rules.py tests/test_decisions_properties.py"),
    "temperature": ("workflows/decisions/temperature.py",
                    "tests/test_seed_temperature_rules.py tests/test_decisions_properties.py"),
    "ledger": ("activities/video/submission_ledger.py", "tests/test_data_ledger.py"),
    "spend_rules": ("workflows/decisions/spend.py", "tests/test_spend_rules.py"),
    "plan_summary": ("workflows/decisions/plan_summary.py",
                     "tests/test_spend_rules.py tests/test_plan_summary.py tests/test_unapplied.py"),
    # The emulator targets: their whole test files take 10-60 s a run, so each runs the
    # direct tests first (-x: a killed mutant stops there) and the in-process emulator tests
    # that drive the module; the worker-process tests (twenty at once, workflows) stay out.
    "budgets": ("activities/video/budgets.py",
                "tests/test_budgets_direct.py tests/test_budgets.py -k 'not twenty'"),
    "veo_backend": ("activities/video/veo_backend.py",
                    "tests/test_veo_backend_direct.py tests/test_veo_activity.py"),
    "video_activities": ("activities/video/video_activities.py",
                         "tests/test_video_activities_direct.py tests/test_veo_activity.py"),
    "video_store": ("activities/video/store.py", "tests/test_video_store.py"),
    "job_store": ("activities/job_store/job_store_activities.py",
                  "tests/test_job_store_persist.py tests/test_job_store.py tests/test_clip_versions.py"),
    "versions": ("activities/job_store/version_activities.py", "tests/test_clip_versions.py"),
    "errors": ("activities/errors.py", "tests/test_error_mapping.py tests/test_secret_settings.py"),
    "unapplied": ("workflows/decisions/unapplied.py",
                  "tests/test_unapplied.py tests/test_beyond_rules.py tests/test_unapplied_holdout.py "
                  "tests/test_unapplied_edges.py tests/test_unapplied_words.py"),
    "word_match": ("workflows/decisions/word_match.py",
                   "tests/test_unapplied_words.py tests/test_unapplied_edges.py "
                   "tests/test_unapplied_holdout.py"),
    "beyond_rules": ("workflows/decisions/beyond_rules.py",
                     "tests/test_beyond_rules.py tests/test_unapplied_holdout.py"),
    "chat_words": ("workflows/decisions/chat_words.py", "tests/test_chat_words.py"),
    "planning": ("workflows/decisions/planning.py",
                 "tests/test_planning_direct.py tests/test_decisions_finalize.py "
                 "tests/test_decisions_properties.py "
                 "tests/test_unapplied.py tests/test_chat_words.py tests/test_continuity_policy.py "
                 "tests/test_spend_rules.py"),
    "continuity": ("workflows/decisions/continuity.py",
                   "tests/test_continuity_policy.py tests/test_continuity_holdout.py "
                   "tests/test_continuity_edges.py"),
    # The workflow modules that decide and converse (issue 35, session 8): direct tests,
    # no server.
    "update_args": ("workflows/update_args.py", "tests/test_update_args.py"),
    "validation": ("workflows/validation.py",
                   "tests/test_validation_rules.py tests/test_workflow_validation.py"),
    "step_failures": ("workflows/step_failures.py", "tests/test_step_failures.py"),
    "conventions": ("workflows/conventions.py", "tests/test_conventions.py"),
    # A probe workflow on the dev server (one per session, ~1 s to start), no activities
    # of Retake's own: ~15 s for the whole file.
    "regeneration_updates": ("workflows/regeneration_updates.py",
                             "tests/test_regeneration_updates.py"),
    "continuity_step": ("workflows/continuity_step.py", "tests/test_continuity_step.py"),
    "plan_spend": ("workflows/plan_spend.py",
                   "tests/test_replay_sound.py tests/test_continuity_step.py "
                   "tests/test_regeneration_updates.py"),
    # The decision rule modules (issue 35, session 9): the words a request is read with and
    # the prompt rewrites. One pytest run of the fast pure files (~4 s); -x stops at the
    # first failure, so the direct files come first.
    "change_reading": ("workflows/decisions/change_reading.py",
                      "tests/test_change_reading_direct.py " + _TEXT_TESTS),
    "change_rewrites": ("workflows/decisions/change_rewrites.py",
                       "tests/test_change_rewrites_direct.py " + _TEXT_TESTS),
    "prompt_rewrites": ("workflows/decisions/prompt_rewrites.py",
                       "tests/test_prompt_rewrites_direct.py " + _TEXT_TESTS),
    "prompt_edits": ("workflows/decisions/prompt_edits.py",
                     "tests/test_prompt_edits_direct.py " + _TEXT_TESTS),
    "negative_prompts": ("workflows/decisions/negative_prompts.py",
                        "tests/test_negative_prompts_direct.py " + _TEXT_TESTS),
    "templates": ("workflows/decisions/templates.py",
                 "tests/test_templates_direct.py " + _TEXT_TESTS),
    "phrases": ("workflows/decisions/phrases.py",
               "tests/test_phrases_direct.py " + _TEXT_TESTS),
    "rewrite_checks": ("workflows/decisions/rewrite_checks.py",
                       "tests/test_rewrite_checks_direct.py " + _TEXT_TESTS),
    "sanitise": ("workflows/decisions/sanitise.py",
                 "tests/test_sanitise_direct.py tests/test_decisions_text_reply.py " + _TEXT_TESTS),
    "scene_words": ("workflows/decisions/scene_words.py",
                    "tests/test_scene_words_direct.py " + _TEXT_TESTS),
    "veo_limits": ("workflows/decisions/veo_limits.py",
                   "tests/test_veo_limits_direct.py tests/test_decisions_finalize.py "
                   "tests/test_planning_direct.py tests/test_decisions_properties.py"),
    "veo_models": ("workflows/decisions/veo_models.py",
                   "tests/test_veo_models_direct.py tests/test_veo_prices.py "
                   "tests/test_decisions_finalize.py "
                   "tests/test_planning_direct.py tests/test_trust_rules.py "
                   "tests/test_continuity_edges.py tests/test_decisions_properties.py"),
    "operation_errors": ("workflows/decisions/operation_errors.py",
                         "tests/test_operation_errors_direct.py tests/test_generation_attempts.py"),
    # The workflows themselves (session 9): the recorded histories replayed first (87 in
    # ~5 s: a slip that changes a command fails there), then the fastest end-to-end files
    # that reach the module; the session's direct tests last, so the first failing file
    # in a mutant's output tells whether the earlier tests alone killed it.
    "steps": ("workflows/steps.py",
              "tests/test_workflow_steps.py tests/test_workflow_replay.py "
              "tests/test_workflow_step_budget.py"),
    "regenerate_clip": ("workflows/regenerate_clip.py",
                        "tests/test_regenerate_clip_direct.py tests/test_workflow_replay.py "
                        "tests/test_workflow_e2e.py tests/test_workflow_confirm.py " + " ".join(
                            f"tests/test_workflow_money.py::test_{name}" for name in (
                                "video_after_the_deadline_is_kept_and_starting_again_pays_nothing",
                                "video_of_a_cancelled_regeneration_is_kept_as_a_non_current_version",
                                "cancel_during_persist_saves_the_paid_video_once_and_consistently"))
                        + " -k 'not history_does_not_grow and not content_filter_twice"
                          " and not revise_replans and not precise_change and not llm_path"
                          " and not concurrent_start and not dry_run_plans'"),
    "collect_late_video": ("workflows/collect_late_video.py",
                           "tests/test_workflow_replay.py tests/test_workflow_money.py "
                           "tests/test_regenerate_clip_direct.py -k 'collect or deadline or "
                           "cancelled_regeneration or running_status_check'"),
    "patches": ("workflows/patches.py", "tests/test_workflow_replay.py tests/test_patches.py"),
    "confirm_first": ("workflows/confirm_first.py",
                      "tests/test_workflow_replay.py tests/test_regeneration_updates.py "
                      "tests/test_workflow_confirm.py tests/test_regenerate_clip_direct.py"),
    # Direct tests first: the old ones hang on a mutated lead (a negative sleep, a TypeError
    # in the workflow task) until the 120 s timeout.
    "notify": ("workflows/notify.py",
               "tests/test_workflow_notify.py tests/test_notify_activity.py "
               "tests/test_regeneration_updates.py"),
    "clip_versions": ("workflows/clip_versions.py",
                      "tests/test_workflow_replay.py tests/test_workflow_versions.py "
                      "tests/test_workflow_versions_direct.py"),
    # Session 10: batch_problems' pure tests, then the direct file (the workflow on the dev
    # server, its steps and children served by the file, ~10 s), then the batch histories
    # replayed and the end-to-end batch tests; -k keeps the batch cases of the last three.
    "regenerate_clips": ("workflows/regenerate_clips.py",
                         "tests/test_batch_problems.py tests/test_regenerate_clips_direct.py "
                         "tests/test_workflow_replay.py tests/test_workflow_batch.py "
                         "tests/test_spend_in_plan.py -k 'batch or clips_direct'"),
}


def config(name: str, module: str, tests: str) -> Path:
    path = ROOT / "mutation" / "sessions" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        "timeout = 120.0\n"
        "excluded-modules = []\n"
        f'test-command = "{PYTEST} {tests}"\n\n'
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    return path


ANNOTATION = "annotation: never runs (from __future__ import annotations)"
NOT_SELECTED = "not selected: another operator than --only's"


def annotation_spans(module: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) of every annotation in `module`, when its annotations are strings that
    never run; none otherwise."""
    tree = ast.parse(module.read_text())
    future = any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
                 and any(a.name == "annotations" for a in node.names) for node in tree.body)
    if not future:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            found.append(node.returns)
    return [((n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset)) for n in found]


def skip_annotations(module: Path, session: Path) -> int:
    """Mark the mutants inside annotations skipped (equivalent: not run); their count."""
    spans = annotation_spans(module)
    skipped = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            if all(any(start <= m.start_pos and m.end_pos <= end for start, end in spans)
                   for m in item.mutations):
                db.set_result(item.job_id, WorkResult(output=ANNOTATION,
                                                      worker_outcome=WorkerOutcome.SKIPPED))
                skipped += 1
    return skipped


def keep_only(operator: str, session: Path) -> int:
    """Mark the pending mutants of every other operator skipped; how many are left to run."""
    left = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            if all(operator in m.operator_name for m in item.mutations):
                left += 1
            else:
                db.set_result(item.job_id, WorkResult(output=NOT_SELECTED,
                                                      worker_outcome=WorkerOutcome.SKIPPED))
    return left


def summary(session: Path) -> str:
    """Mutants, skipped as annotations, killed and surviving among the run ones."""
    with use_db(str(session), WorkDB.Mode.open) as db:
        results = [r for _, r in db.results]
        total = db.num_work_items
    skipped = sum(r.output == ANNOTATION for r in results)
    run_ones = [r for r in results if r.worker_outcome != WorkerOutcome.SKIPPED]
    killed = sum(r.is_killed for r in run_ones)
    return (f"mutants {total}, annotation (skipped) {skipped}, run {len(run_ones)}, "
            f"killed {killed}, surviving {len(run_ones) - killed}, "
            f"pending {total - len(results)}")


def run(name: str, tests: str | None = None, only: str | None = None) -> str:
    module, default_tests = TARGETS[name]
    tests = tests or default_tests
    missing = [t for t in tests.split() if t.endswith(".py") and not (ROOT / t).exists()]
    if missing:  # pytest would fail at once, and every mutant would count as killed
        raise SystemExit(f"{name}: no such test file: {' '.join(missing)}")
    cfg = config(name, module, tests)
    session = cfg.with_suffix(".sqlite")
    session.unlink(missing_ok=True)
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "cosmic-ray", "init", cfg, session], cwd=ROOT, check=True)
    skip_annotations(ROOT / module, session)
    if only:
        keep_only(only, session)
    subprocess.run([bin_dir / "cosmic-ray", "exec", cfg, session], cwd=ROOT, check=True)
    report = subprocess.run([bin_dir / "cr-report", session, "--show-pending"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    return report + summary(session) + "\n"


def rerun_survivors(name: str, tests: str | None = None) -> str:
    """The survivors of `name`'s last run, run again against the target's tests as they
    are now (new tests added: a killed mutant stays killed), into `{name}-final.sqlite`."""
    module, default_tests = TARGETS[name]
    first = ROOT / "mutation" / "sessions" / f"{name}.sqlite"
    cfg = config(f"{name}-final", module, tests or default_tests)
    session = cfg.with_suffix(".sqlite")
    session.write_bytes(first.read_bytes())
    with sqlite3.connect(session) as conn:  # WorkDB has no way to forget one result
        survivors = [job for (job,) in conn.execute(
            "SELECT job_id FROM work_results WHERE worker_outcome = 'NORMAL'"
            " AND test_outcome = 'SURVIVED'")]
        conn.executemany("DELETE FROM work_results WHERE job_id = ?", [(j,) for j in survivors])
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "cosmic-ray", "exec", cfg, session], cwd=ROOT, check=True)
    report = subprocess.run([bin_dir / "cr-report", session, "--show-pending"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    return report + summary(session) + f"\nrun again: {len(survivors)} survivors\n"


if __name__ == "__main__":
    args = sys.argv[1:]
    only = None
    if args[:1] == ["--survivors"]:  # TARGET[=TESTS]: its last run's survivors, again
        for arg in args[1:]:
            target, _, tests = arg.partition("=")
            text = rerun_survivors(target, tests or None)
            (ROOT / "mutation" / "sessions" / f"{target}-final.report.txt").write_text(text)
            print(f"== {target} (survivors): " + " ".join(text.strip().splitlines()[-4:]),
                  flush=True)
        raise SystemExit(0)
    if args[:1] == ["--only"]:  # one operator's mutants, e.g. ExceptionReplacer
        only, args = args[1], args[2:]
    for arg in args or list(TARGETS):
        target, _, tests = arg.partition("=")  # TARGET=TESTS: other tests than the target's
        text = run(target, tests or None, only)
        (ROOT / "mutation" / "sessions" / f"{target}.report.txt").write_text(text)
        print(f"== {target}: " + " ".join(text.strip().splitlines()[-4:]), flush=True)
