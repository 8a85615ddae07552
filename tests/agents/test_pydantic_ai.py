"""pydantic-ai's own Agent and FunctionModel drive Charter's toolset: a read, a paused write, a resume."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from charter.agents import ApprovalStore, AuditLog, Toolkit
from charter.agents.pydantic_ai import CharterToolset
from charter.auth.home import CharterHome
from charter.sandboxes.github import GitHubSandbox


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def kit(triage_kit: Toolkit) -> Toolkit:
    return triage_kit


def last_return(messages: list[ModelMessage]) -> dict[str, Any]:
    part = next(p for m in reversed(messages) for p in m.parts if isinstance(p, ToolReturnPart))
    return dict(json.loads(str(part.content)))


@pytest.mark.anyio
async def test_a_pydantic_ai_run_reads_pauses_and_resumes(
    kit: Toolkit, home: CharterHome, sb: GitHubSandbox
) -> None:
    approvals = ApprovalStore(home)
    offered: list[str] = []
    numbers: list[int] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        offered[:] = [t.name for t in info.function_tools]
        turn = sum(isinstance(m, ModelResponse) for m in messages)
        if turn == 0:
            return ModelResponse(
                parts=[ToolCallPart("github_list_issues", {"repo": "acme/web", "labels": ["bug"]})]
            )
        if turn == 1:
            numbers.append(last_return(messages)["data"]["items"][0]["data"]["number"])
            comment = {"repo": "acme/web", "number": numbers[0], "body": "Reproduced on 2.4."}
            return ModelResponse(parts=[ToolCallPart("github_comment", comment)])
        if turn == 2:
            paused = last_return(messages)
            assert paused["status"] == "approval_required", paused
            approval_id = paused["approval"]["approval_id"]
            approvals.approve(approval_id, by="mona")  # the person, between turns
            return ModelResponse(parts=[ToolCallPart("charter_resume", {"approval_id": approval_id})])
        assert last_return(messages)["status"] == "ok", last_return(messages)
        return ModelResponse(parts=[TextPart("Commented.")])

    agent = Agent(FunctionModel(model), toolsets=[CharterToolset(kit)])
    result = await agent.run("Triage the newest bug in acme/web.")

    assert result.output == "Commented."
    assert set(offered) == {t.name for t in kit.tools()} | {"charter_resume"}
    assert sum("Reproduced on 2.4." in c.body for c in sb.state.comments("acme/web", numbers[0])) == 1
    assert AuditLog(home).verify().ok


@pytest.mark.anyio
async def test_an_error_reaches_the_model_as_the_coded_error(kit: Toolkit) -> None:
    seen: list[dict[str, Any]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if not any(isinstance(m, ModelResponse) for m in messages):
            return ModelResponse(parts=[ToolCallPart("github_list_issues", {"repo": "acme/api"})])
        seen.append(last_return(messages))
        return ModelResponse(parts=[TextPart("done")])

    await Agent(FunctionModel(model), toolsets=[CharterToolset(kit)]).run("List acme/api.")
    assert seen[0]["status"] == "error"
    assert seen[0]["error"]["error"] == "grant_denied"
