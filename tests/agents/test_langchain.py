"""LangChain tools from a grant, driven by an agent loop whose chat model emits scripted tool calls."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from github_consent import connect_sandbox
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from charter.agents import ApprovalStore, AuditLog, Toolkit
from charter.agents.langchain import charter_tools
from charter.agents.tools import ToolResult
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import GitHubSandbox


class ScriptedChatModel(GenericFakeChatModel):
    """A chat model that answers from a script and, like a real one, accepts tools to bind."""

    bound: list[dict[str, Any]] = []

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        self.bound = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=self.bound, **kwargs)


def run_agent(
    model: Runnable[LanguageModelInput, AIMessage], tools: list[BaseTool], messages: list[BaseMessage]
) -> None:
    """The smallest agent loop: ask the model, run each tool call it makes, repeat until it answers."""
    by_name = {t.name: t for t in tools}
    for _ in range(10):
        reply = model.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            return
        for call in reply.tool_calls:
            messages.append(by_name[call["name"]].invoke({**call, "type": "tool_call"}))
    raise AssertionError("the agent did not finish")


def call(name: str, call_id: str, **args: Any) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}]
    )


def last_tool_result(messages: list[BaseMessage]) -> dict[str, Any]:
    tool_message = next(m for m in reversed(messages) if isinstance(m, ToolMessage))
    return dict(json.loads(str(tool_message.content)))


def triage_script(messages: list[BaseMessage]) -> Iterator[AIMessage]:
    """What the model 'decides' at each turn; later turns read earlier tool results, as a model would."""
    yield call("github_list_issues", "call_1", repo="acme/web", labels=["bug"])
    number = last_tool_result(messages)["data"]["items"][0]["data"]["number"]
    yield call("github_draft_comment", "call_2", repo="acme/web", number=number, body="Reproduced on 2.4.")
    draft_id = last_tool_result(messages)["data"]["draft_id"]
    yield call("github_commit_draft", "call_3", draft_id=draft_id)
    approval = last_tool_result(messages)["approval"]["approval_id"]
    yield AIMessage(content=f"The comment waits for your approval ({approval}).")
    # After the person approves, the model repeats the exact call: it runs, once.
    yield call("github_commit_draft", "call_4", draft_id=draft_id)
    yield AIMessage(content="Posted the comment.")


@pytest.fixture
def setup(home: CharterHome, sb: GitHubSandbox) -> tuple[CharterHome, Toolkit]:
    vault = Vault(home, keys=KeySet.parse(generate_key(), source="test"))
    conn = connect_sandbox(vault, sb)
    grant = GrantAuthority(home).issue(
        "mona", "triage-bot", (conn.id,), ("read", "draft", "write"), constraints={"repos": ("acme/web",)}
    )
    return home, Toolkit(grant.token, home=home, vault=vault)


def test_a_langchain_agent_triages_an_issue_pausing_for_approval(
    setup: tuple[CharterHome, Toolkit], sb: GitHubSandbox
) -> None:
    home, kit = setup
    tools = charter_tools(kit)
    messages: list[BaseMessage] = [HumanMessage("Triage the newest bug in acme/web.")]
    model = ScriptedChatModel(messages=triage_script(messages))

    run_agent(model.bind_tools(tools), tools, messages)

    assert {t["function"]["name"] for t in model.bound} == {t.name for t in kit.tools()} | {"charter_resume"}
    paused = [m for m in messages if isinstance(m, ToolMessage) and isinstance(m.artifact, ToolResult)]
    assert paused[-1].artifact.status == "approval_required"
    approval_id = paused[-1].artifact.approval.approval_id
    listing = next(m for m in messages if isinstance(m, ToolMessage))
    number = json.loads(str(listing.content))["data"]["items"][0]["data"]["number"]
    before = len(sb.state.comments("acme/web", number))
    assert str(messages[-1].content).endswith(f"({approval_id}).")

    ApprovalStore(home).approve(approval_id, by="mona")
    messages.append(HumanMessage("Approved."))
    run_agent(model.bind_tools(tools), tools, messages)

    posted = messages[-2]
    assert isinstance(posted, ToolMessage)
    assert posted.status == "success"
    assert json.loads(str(posted.content))["status"] == "ok"
    comments = sb.state.comments("acme/web", number)
    assert len(comments) == before + 1
    assert "triage-bot" in comments[-1].body
    assert kit.resume(approval_id).data["replayed"] is True
    assert AuditLog(home).verify().ok


def test_an_error_becomes_an_error_tool_message_with_the_coded_error(
    setup: tuple[CharterHome, Toolkit],
) -> None:
    _, kit = setup
    tools = {t.name: t for t in charter_tools(kit)}

    message = tools["github_list_issues"].invoke(
        {"name": "github_list_issues", "args": {"repo": "acme/api"}, "id": "call_1", "type": "tool_call"}
    )

    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert message.tool_call_id == "call_1"
    assert json.loads(str(message.content))["error"]["error"] == "grant_denied"


def test_a_read_keeps_the_untrusted_envelope_and_the_result_as_artifact(
    setup: tuple[CharterHome, Toolkit],
) -> None:
    _, kit = setup
    tool = next(t for t in charter_tools(kit) if t.name == "github_get_issue")

    message = tool.invoke(
        {"name": tool.name, "args": {"repo": "acme/web", "number": 3}, "id": "c", "type": "tool_call"}
    )

    assert isinstance(message, ToolMessage)
    content = json.loads(str(message.content))
    assert content == message.artifact.to_dict()
    assert content["data"]["untrusted"]
    assert content["data"]["provenance"]["connector"] == "github"
    assert tool.metadata == {"charter_tool": "github_get_issue", "verb": "read", "risks": []}


def test_charter_resume_finishes_an_approved_call(
    setup: tuple[CharterHome, Toolkit], sb: GitHubSandbox
) -> None:
    home, kit = setup
    tools = {t.name: t for t in charter_tools(kit)}
    before = len(sb.state.comments("acme/web", 3))
    paused = tools["github_comment"].invoke(
        {"name": "github_comment", "args": {"repo": "acme/web", "number": 3, "body": "Fixed in 2.5."},
         "id": "c1", "type": "tool_call"}
    )  # fmt: skip
    approval_id = paused.artifact.approval.approval_id
    assert f"call charter_resume with approval_id='{approval_id}'" in paused.content

    ApprovalStore(home).approve(approval_id, by="mona")
    done = tools["charter_resume"].invoke(
        {"name": "charter_resume", "args": {"approval_id": approval_id}, "id": "c2", "type": "tool_call"}
    )
    missing = tools["charter_resume"].invoke(
        {"name": "charter_resume", "args": {}, "id": "c3", "type": "tool_call"}
    )

    assert done.status == "success"
    assert done.artifact.status == "ok"
    assert len(sb.state.comments("acme/web", 3)) == before + 1
    assert missing.status == "error"
    assert json.loads(missing.content)["error"]["error"] == "validation_error"


def test_only_the_chosen_tools_are_made(setup: tuple[CharterHome, Toolkit]) -> None:
    _, kit = setup
    reads = [t for t in kit.tools() if t.verb == "read"]

    assert [t.name for t in charter_tools(kit, tools=reads)] == [t.name for t in reads]


def test_the_strict_variant_keeps_optional_fields_nullable_and_drops_the_models_nulls(
    setup: tuple[CharterHome, Toolkit],
) -> None:
    _, kit = setup
    tools = {t.name: t for t in charter_tools(kit, strict=True)}
    sent = convert_to_openai_tool(tools["github_list_issues"], strict=True)["function"]
    cursor = sent["parameters"]["properties"]["cursor"]
    assert "null" in json.dumps(cursor), cursor  # "no cursor" is sayable; nothing to invent
    assert set(sent["parameters"]["required"]) == set(sent["parameters"]["properties"])
    nulls = {"repo": "acme/web", "labels": ["bug"], "state": None, "per_page": None, "cursor": None}
    message = tools["github_list_issues"].invoke(
        {"name": "github_list_issues", "args": nulls, "id": "call_1", "type": "tool_call"}
    )
    assert isinstance(message, ToolMessage)
    assert message.status == "success", message.content
    assert json.loads(str(message.content))["data"]["items"]
