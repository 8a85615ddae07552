"""A grant's tools for the OpenAI Agents SDK (install the `charter[openai-agents]` extra).

Each tool is a `FunctionTool` whose parameters are Charter's strict schema (every property
required, optional ones nullable, as `OpenAITools(strict=True)` sends them), so the SDK sends it
as it is: its own converter would make every optional field required and not nullable, and the
model would have to invent a cursor. The model's nulls are dropped before the Toolkit sees the
call, so the action's defaults apply. A paused call's result says `approval_required`; once the
person approved, the model calls `charter_resume` (offered whenever a tool can change anything).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import anyio.to_thread

from charter.agents.formats._calls import Offer, ToolCalls
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool
from charter.schemas import MissingExtra

SDK_DISTRIBUTION = "openai-agents"


class AgentsTool(Protocol):
    """What Charter sets on each SDK `FunctionTool`."""

    name: str
    description: str
    params_json_schema: dict[str, Any]
    strict_json_schema: bool


def agents_sdk() -> ModuleType:
    """The SDK's `agents` package, even when run from a Charter source tree.

    The SDK's import name is `agents`, which is also the name of the folder holding
    `charter.agents`; with that tree's root on `sys.path` (`python -m pytest` there) a plain import
    finds the folder. The SDK is loaded from its installed files instead.
    """
    loaded = sys.modules.get("agents")
    if loaded is not None and hasattr(loaded, "FunctionTool"):
        return loaded
    if "agents" in sys.modules and loaded is None:
        raise MissingExtra("openai-agents", "agents")  # import blocked, as Python's own import honours
    try:
        init = Path(str(metadata.distribution(SDK_DISTRIBUTION).locate_file("agents/__init__.py")))
    except metadata.PackageNotFoundError:
        raise MissingExtra("openai-agents", "agents") from None
    spec = importlib.util.spec_from_file_location(
        "agents", init, submodule_search_locations=[str(init.parent)]
    )
    if spec is None or spec.loader is None or not init.is_file():
        raise MissingExtra("openai-agents", "agents")
    module = importlib.util.module_from_spec(spec)
    sys.modules["agents"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["agents"]
        raise
    return module


def charter_function_tools(toolkit: Toolkit, *, tools: Sequence[Tool] | None = None) -> list[AgentsTool]:
    """The grant's tools (or the chosen ones) as Agents SDK `FunctionTool`s that call `toolkit`."""
    sdk = agents_sdk()
    calls = ToolCalls(toolkit, tools, strict=True)
    return [_function_tool(sdk, calls, offer) for offer in calls.offers()]


def _function_tool(sdk: ModuleType, calls: ToolCalls, offer: Offer) -> AgentsTool:
    async def invoke(context: object, arguments: str) -> str:
        # The Toolkit blocks on the service and the audit log: off the SDK's event loop.
        result = await anyio.to_thread.run_sync(calls.run, offer.name, arguments)
        return calls.text(result)

    strict = offer.strict_parameters is not None
    tool: AgentsTool = sdk.FunctionTool(
        name=offer.name,
        description=offer.description,
        params_json_schema=offer.strict_parameters if strict else offer.parameters,
        on_invoke_tool=invoke,
        strict_json_schema=strict,
    )
    return tool


__all__ = ["AgentsTool", "agents_sdk", "charter_function_tools"]
