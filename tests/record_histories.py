"""Record the workflow histories the replay tests replay (tests/histories/*.json).

    .venv/bin/python tests/record_histories.py

Runs the end-to-end scenarios (and the other-client ones, tests/test_any_client.py, and
the money ones, tests/test_workflow_money.py, and the provider-fault ones,
tests/test_provider_faults_veo.py)
with RETAKE_RECORD_HISTORIES=1, which makes each one
save its history. Re-record after an intended change to the workflow's commands;
a replay failure without such a change means the workflow lost determinism.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    "tests/test_workflow_e2e.py",
    "tests/test_any_client.py",
    "tests/test_workflow_confirm.py",
    "tests/test_workflow_versions.py",
    "tests/test_workflow_batch.py",
    "tests/test_workflow_money.py",
    "tests/test_provider_faults_veo.py",  # issue 12: backend queues + one resubmission
    "tests/test_streaming_store.py",  # the streaming store on the backend queue
    "tests/test_adaptive_polling.py",  # waits paced by next_retry_delay
    "tests/test_replay_under_queries.py",  # a first task split by a waiting query
    "tests/test_chatbot_calls.py",  # issue 31: consent on every path, both cancels alike
]

if __name__ == "__main__":
    env = dict(os.environ, RETAKE_RECORD_HISTORIES="1")
    sys.exit(
        subprocess.call(
            [sys.executable, "-m", "pytest", "-q", *SCENARIOS], cwd=ROOT, env=env
        )
    )
