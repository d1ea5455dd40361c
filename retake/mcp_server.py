"""The MCP server: retake/tools.py's tools for any MCP client (an LLM host, an agent).

    python starter.py mcp                       # stdio (the host starts it as a subprocess)
    python starter.py mcp --http [--port 8765]  # streamable HTTP on 127.0.0.1:8765/mcp

Built on the official `mcp` SDK's low-level server, so each tool's input schema is
exactly its pydantic model's (retake/tools.py). It talks to Temporal like any client
(TEMPORAL_ADDRESS etc., retake.client.connect): workers do the work, so this process
needs no database or provider credentials. HTTP binds 127.0.0.1 unless told otherwise:
the server has no login, and whoever reaches it can pay for generations.

Imported only by `starter.py mcp`: retake.client stays light.
"""

from __future__ import annotations

import json

import mcp_types as types
from mcp.server.lowlevel import Server
from pydantic import ValidationError
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from retake import tools
from retake.client import connect

INSTRUCTIONS = (
    "Retake regenerates clips of AI music videos with Google's Veo, for money. Always "
    "`plan` first and show the user the plan and its cost; `confirm` only the revision the "
    "user agreed to. `revise` and `cancel` cost nothing."
)


def _error(kind: str, message: str) -> types.CallToolResult:
    body = {"error_type": kind, "message": message}
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(body))], structured_content=body, is_error=True
    )


def refusal(err: Exception) -> types.CallToolResult:
    """A failed call as a tool result the model can read and act on (never a crash)."""
    if isinstance(err, ValidationError):
        return _error("InvalidInput", f"fix the arguments: {err.errors(include_url=False)}")
    if isinstance(err, tools.ToolError):
        return _error(err.kind, str(err))
    if isinstance(getattr(err, "type", None), str):  # the client's typed answers (retake/answers.py)
        return _error(err.type, getattr(err, "message", None) or str(err))
    if isinstance(err, WorkflowAlreadyStartedError):
        return _error("ClipBusy", "this clip (or this job's batch) is already being changed: "
                      "call `status` (or `batch_status`), then confirm or cancel it first")
    if isinstance(err, WorkflowUpdateFailedError | WorkflowFailureError):
        cause = err.cause
        return _error(getattr(cause, "type", None) or type(cause).__name__, str(cause))
    if isinstance(err, RPCError):
        return _error("NotFound" if "not found" in str(err).lower() else "TemporalError",
                      f"{err}: check the job id and clip index, or `plan` first")
    raise err


def build_server(client_factory=connect) -> Server:
    """The MCP server; `client_factory` makes the Temporal client on the first call."""
    clients: list[Client] = []

    async def temporal() -> Client:
        if not clients:
            clients.append(await client_factory())
        return clients[0]

    async def list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[
            types.Tool(name=t.name, description=t.description, input_schema=t.input_schema(),
                       annotations=types.ToolAnnotations(read_only_hint=t.read_only))
            for t in tools.TOOLS
        ])

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            answer = await tools.call(await temporal(), params.name, params.arguments)
        except Exception as err:  # noqa: BLE001 - refusal() re-raises what it cannot explain
            return refusal(err)
        body = answer.model_dump(mode="json")
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(body))], structured_content=body
        )

    return Server("retake", instructions=INSTRUCTIONS, on_list_tools=list_tools,
                  on_call_tool=call_tool)


async def serve_stdio() -> None:
    from mcp.server.stdio import stdio_server

    server = build_server()
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def serve_http(host: str = "127.0.0.1", port: int = 8765) -> None:
    import uvicorn

    app = build_server().streamable_http_app(host=host)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).serve()
