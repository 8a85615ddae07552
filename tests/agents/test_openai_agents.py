"""The OpenAI Agents SDK's own Runner drives Charter's FunctionTools: a read, a paused write, a resume."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from charter.agents import ApprovalStore, AuditLog, Toolkit
from charter.agents.formats.strict import strict_schema
from charter.agents.openai_agents import agents_sdk, charter_function_tools
from charter.auth.home import CharterHome
from charter.sandboxes.github import GitHubSandbox

sdk = agents_sdk()
Script = Callable[[list[Any]], Iterator[list[Any]]]


class ScriptedModel(sdk.Model):  # type: ignore[misc,name-defined]
    """An SDK `Model` that answers each turn from a script reading the run's input so far."""

    def __init__(self, script: Script) -> None:
        self.seen: list[Any] = []
        self.tools: list[Any] = []
        self._turns = script(self.seen)

    async def get_response(self, system_instructions: Any, input: Any, model_settings: Any, tools: Any,
                           *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        self.tools = list(tools)
        self.seen[:] = list(input) if isinstance(input, list) else [input]
        return sdk.ModelResponse(output=next(self._turns), usage=sdk.Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def tool_call(name: str, call_id: str, **args: Any) -> list[Any]:
    raw = json.dumps(args)
    return [ResponseFunctionToolCall(type="function_call", call_id=call_id, name=name, arguments=raw)]


def say(text: str) -> list[Any]:
    content = [ResponseOutputText(type="output_text", text=text, annotations=[])]
    return [
        ResponseOutputMessage(type="message", id="m", role="assistant", status="completed", content=content)
    ]


def last_output(seen: list[Any]) -> dict[str, Any]:
    item = next(i for i in reversed(seen) if isinstance(i, dict) and i.get("type") == "function_call_output")
    return dict(json.loads(item["output"]))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def kit(triage_kit: Toolkit) -> Toolkit:
    return triage_kit


def test_the_sdk_sends_charters_strict_schemas_as_they_are(kit: Toolkit) -> None:
    tools = {t.name: t for t in charter_function_tools(kit)}
    listing = next(t for t in kit.tools() if t.name == "github_list_issues")
    sent = tools["github_list_issues"]
    assert sent.strict_json_schema is True
    assert sent.params_json_schema == strict_schema(listing.input_schema)
    # Optional means nullable, so the model can say "no cursor" instead of inventing one.
    assert "null" in json.dumps(sent.params_json_schema["properties"]["cursor"])
    assert "charter_resume" in tools


@pytest.mark.anyio
async def test_an_agents_sdk_run_reads_pauses_and_resumes(
    kit: Toolkit, home: CharterHome, sb: GitHubSandbox
) -> None:
    approvals = ApprovalStore(home)

    def script(seen: list[Any]) -> Iterator[list[Any]]:
        # Nulls for every optional argument, as a strict-mode model sends them.
        listing = {"repo": "acme/web", "labels": ["bug"], "state": None, "per_page": None, "cursor": None}
        yield tool_call("github_list_issues", "c1", **listing)
        number = last_output(seen)["data"]["items"][0]["data"]["number"]
        numbers.append(number)
        yield tool_call("github_comment", "c2", repo="acme/web", number=number, body="Reproduced on 2.4.")
        paused = last_output(seen)
        assert paused["status"] == "approval_required", paused
        approvals.approve(paused["approval"]["approval_id"], by="mona")  # the person, between turns
        yield tool_call("charter_resume", "c3", approval_id=paused["approval"]["approval_id"])
        assert last_output(seen)["status"] == "ok", last_output(seen)
        yield say("Commented.")

    numbers: list[int] = []
    model = ScriptedModel(script)
    agent = sdk.Agent(
        name="triage", instructions="Triage bugs.", model=model, tools=charter_function_tools(kit)
    )
    result = await sdk.Runner.run(agent, "Triage the newest bug in acme/web.")

    assert result.final_output == "Commented."
    comments = sb.state.comments("acme/web", numbers[0])
    assert [c.body for c in comments].count("Reproduced on 2.4.") == 0  # attributed: a footer follows
    assert sum("Reproduced on 2.4." in c.body for c in comments) == 1
    assert AuditLog(home).verify().ok
