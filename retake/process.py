"""Leaving a process that used the Temporal SDK.

The SDK's Rust core keeps threads that can call into Python while the interpreter
finalizes; now and then (seen here about once in four runs) that aborts the process
with "PyGILState_Release ... finalizing" and exit code -6, after all work is done.
Programs that used a Temporal client therefore exit without interpreter teardown,
once their output is flushed.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def exit_without_teardown(code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
