"""OpenAI and Anthropic tool formats end to end: scripted model calls, the Toolkit, the GitHub sandbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from github_consent import connect_sandbox
from test_formats_schemas import assert_strict

from charter.agents import ApprovalStore, AuditLog, Toolkit
from charter.agents.formats import TOOL_NAME, AnthropicTools, OpenAITools
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import GitHubSandbox


@dataclass
class Agent:
    """A Toolkit on a consented GitHub sandbox connection, for a grant on acme/web."""

    home: CharterHome
    kit: Toolkit
    sb: GitHubSandbox
    token: str

    def comments(self, number: int = 3) -> int:
        return len(self.sb.state.comments("acme/web", number))


@pytest.fixture
def agent(home: CharterHome, sb: GitHubSandbox) -> Agent:
    vault = Vault(home, keys=KeySet.parse(generate_key(), source="test"))
    conn = connect_sandbox(vault, sb)
    grant = GrantAuthority(home).issue(
        "mona", "triage-bot", (conn.id,), ("read", "draft", "write"), constraints={"repos": ("acme/web",)}
    )
    token = vault.credentials(conn.id).access_token()
    return Agent(home, Toolkit(grant.token, home=home, vault=vault), sb, token)


def function_call(call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A Responses API `function_call` output item, as the model emits it."""
    return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": name,
            "arguments": json.dumps(args), "status": "completed"}  # fmt: skip


def tool_use(use_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": use_id, "name": name, "input": args}


def approve(agent: Agent, result: dict[str, Any]) -> None:
    ApprovalStore(agent.home).approve(result["approval"]["approval_id"], by="mona")


# -- tool definitions ------------------------------------------------------------------------------


def test_openai_definitions_have_each_api_shape_and_safe_names(agent: Agent) -> None:
    tools = OpenAITools(agent.kit)
    responses, chat = tools.responses_tools(), tools.chat_tools()
    names = [t.name for t in agent.kit.tools()] + ["charter_resume"]

    assert [t["name"] for t in responses] == names
    assert all(set(t) == {"type", "name", "description", "parameters", "strict"} for t in responses)
    assert all(t["type"] == "function" and t["strict"] is False for t in responses)
    assert all(set(t) == {"type", "function"} and t["type"] == "function" for t in chat)
    assert [t["function"] for t in chat] == [{k: v for k, v in t.items() if k != "type"} for t in responses]
    assert all(TOOL_NAME.fullmatch(n) for n in names)
    listing = next(t for t in responses if t["name"] == "github_list_issues")
    assert listing["parameters"]["required"] == ["repo"]
    assert "merge" not in " ".join(names)  # the grant does not name destructive actions


def test_strict_openai_definitions_keep_strict_rules(agent: Agent) -> None:
    responses = OpenAITools(agent.kit, strict=True).responses_tools()
    strict = [t for t in responses if t["strict"]]

    assert len(strict) >= len(responses) // 2
    for tool in strict:
        assert_strict(tool["parameters"])
    assert {"github_list_issues", "github_draft_comment", "github_commit_draft"} <= {
        t["name"] for t in strict
    }


def test_anthropic_definitions_carry_name_description_and_input_schema(agent: Agent) -> None:
    tools = AnthropicTools(agent.kit).tools()

    assert [t["name"] for t in tools] == [t.name for t in agent.kit.tools()] + ["charter_resume"]
    assert all(set(t) == {"name", "description", "input_schema"} for t in tools)
    assert all(t["input_schema"]["type"] == "object" and t["description"] for t in tools)


# -- OpenAI Responses ----------------------------------------------------------------------------


def test_responses_calls_read_draft_and_pause_then_run_once_after_approval(agent: Agent) -> None:
    tools = OpenAITools(agent.kit)
    before = agent.comments()
    turn = {"output": [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        function_call("call_a", "github_list_issues", {"repo": "acme/web"}),
        function_call("call_b", "github_draft_comment", {"repo": "acme/web", "number": 3, "body": "Seen."}),
    ]}  # fmt: skip

    listed, drafted = tools.run_responses(turn)

    assert [o["type"] for o in (listed, drafted)] == ["function_call_output"] * 2
    assert [o["call_id"] for o in (listed, drafted)] == ["call_a", "call_b"]
    issues = json.loads(listed["output"])
    assert issues["status"] == "ok"
    assert issues["data"]["untrusted"]
    assert issues["data"]["items"][0]["provenance"]["url"].split("/issues/")[0].endswith("/acme/web")
    # The model sees exactly what the Toolkit returned: envelope and provenance intact.
    assert issues == agent.kit.call("github_list_issues", {"repo": "acme/web"}).to_dict()
    draft_id = json.loads(drafted["output"])["data"]["draft_id"]

    commit = function_call("call_c", "github_commit_draft", {"draft_id": draft_id})
    (paused,) = tools.run_responses([commit])
    pause = json.loads(paused["output"])
    assert pause["status"] == "approval_required"
    assert "charter approvals approve" in pause["approval"]["how_to_resume"]
    assert agent.comments() == before

    approve(agent, pause)
    (done,) = tools.run_responses([{**commit, "call_id": "call_d"}])  # the model repeats the call
    assert json.loads(done["output"])["status"] == "ok"
    assert agent.comments() == before + 1
    assert agent.token not in json.dumps([listed, drafted, paused, done])
    assert AuditLog(agent.home).verify().ok


def test_a_strict_call_with_nulls_for_omitted_arguments_runs(agent: Agent) -> None:
    tools = OpenAITools(agent.kit, strict=True)
    params = next(t for t in tools.responses_tools() if t["name"] == "github_list_issues")["parameters"]
    args = {name: None for name in params["required"]} | {"repo": "acme/web", "labels": ["bug"]}

    (out,) = tools.run_responses([function_call("call_1", "github_list_issues", args)])

    result = json.loads(out["output"])
    assert result["status"] == "ok", result
    assert result["data"]["items"]
    assert all("bug" in i["data"]["labels"] for i in result["data"]["items"])


def test_responses_errors_come_back_as_outputs_not_exceptions(agent: Agent) -> None:
    tools = OpenAITools(agent.kit)
    outs = tools.run_responses([
        function_call("c1", "github_list_issues", {"repo": "acme/api"}),
        {"type": "function_call", "call_id": "c2", "name": "github_list_issues", "arguments": '{"repo": '},
        function_call("c3", "github_delete_everything", {}),
        function_call("c4", "github_list_issues", {"repo": "acme/web", "state": "sideways"}),
    ])  # fmt: skip

    codes = [json.loads(o["output"])["error"]["error"] for o in outs]
    assert [o["call_id"] for o in outs] == ["c1", "c2", "c3", "c4"]
    assert codes[0] == "grant_denied"
    assert codes[1] == "validation_error"
    assert codes[2] in {"not_found", "grant_denied"}
    assert codes[3] == "validation_error"


# -- OpenAI Chat Completions ---------------------------------------------------------------------


def test_chat_tool_calls_from_sdk_objects_return_tool_messages(agent: Agent) -> None:
    def sdk_call(call_id: str, name: str, arguments: str) -> SimpleNamespace:
        return SimpleNamespace(
            id=call_id, type="function", function=SimpleNamespace(name=name, arguments=arguments)
        )

    message = SimpleNamespace(role="assistant", content=None, tool_calls=[
        sdk_call("call_1", "github_get_issue", json.dumps({"repo": "acme/web", "number": 3})),
        sdk_call("call_2", "github_get_issue", "{oops"),
    ])  # fmt: skip

    got, bad = OpenAITools(agent.kit).run_chat(message)

    assert set(got) == {"role", "tool_call_id", "content"}
    assert (got["role"], got["tool_call_id"], bad["tool_call_id"]) == ("tool", "call_1", "call_2")
    issue = json.loads(got["content"])
    assert issue["data"]["provenance"]["id"].endswith("3")
    assert issue["data"]["data"]["number"] == 3
    assert json.loads(bad["content"])["error"]["error"] == "validation_error"


def test_chat_approval_result_tells_the_model_how_to_go_on(agent: Agent) -> None:
    tools = OpenAITools(agent.kit)
    drafted = agent.kit.call("github_draft_issue", {"repo": "acme/web", "title": "Flaky login test"})
    arguments = json.dumps({"draft_id": drafted.data["draft_id"]})
    call = {
        "id": "call_x",
        "type": "function",
        "function": {"name": "github_commit_draft", "arguments": arguments},
    }

    (reply,) = tools.run_chat({"role": "assistant", "tool_calls": [call]})

    result = json.loads(reply["content"])
    assert result["status"] == "approval_required"
    approval_id = result["approval"]["approval_id"]
    assert f"call charter_resume with approval_id='{approval_id}'" in result["approval"]["how_to_resume"]
    assert "Flaky login test" in result["approval"]["preview"]

    arguments = json.dumps({"approval_id": approval_id})
    resume = {
        "id": "call_y",
        "type": "function",
        "function": {"name": "charter_resume", "arguments": arguments},
    }
    (waiting,) = tools.run_chat({"role": "assistant", "tool_calls": [resume]})
    assert json.loads(waiting["content"])["status"] == "approval_required"  # the person has not decided

    approve(agent, result)
    before = len(agent.sb.state.issues("acme/web"))
    (done,) = tools.run_chat({"role": "assistant", "tool_calls": [resume]})
    assert json.loads(done["content"])["status"] == "ok"
    assert len(agent.sb.state.issues("acme/web")) == before + 1


# -- Anthropic Messages --------------------------------------------------------------------------


def test_anthropic_tool_use_blocks_run_into_tool_results(agent: Agent) -> None:
    tools = AnthropicTools(agent.kit)
    before = agent.comments()
    message = {"role": "assistant", "stop_reason": "tool_use", "content": [
        {"type": "text", "text": "Let me look at the issues first."},
        tool_use("toolu_1", "github_list_issues", {"repo": "acme/web"}),
        tool_use("toolu_2", "github_comment", {"repo": "acme/web", "number": 3, "body": "On it."}),
        tool_use("toolu_3", "github_list_issues", {"repo": "acme/api"}),
    ]}  # fmt: skip

    listed, paused, denied = tools.run(message)

    assert [b["tool_use_id"] for b in (listed, paused, denied)] == ["toolu_1", "toolu_2", "toolu_3"]
    assert all(set(b) == {"type", "tool_use_id", "content", "is_error"} for b in (listed, paused, denied))
    assert all(b["type"] == "tool_result" for b in (listed, paused, denied))
    assert [b["is_error"] for b in (listed, paused, denied)] == [False, False, True]
    assert json.loads(listed["content"])["data"]["items"][0]["provenance"]["connector"] == "github"
    pause = json.loads(paused["content"])
    assert pause["status"] == "approval_required"
    assert json.loads(denied["content"])["error"]["error"] == "grant_denied"
    assert agent.comments() == before

    approve(agent, pause)
    resume = tool_use("toolu_4", "charter_resume", {"approval_id": pause["approval"]["approval_id"]})
    done, again = tools.run([resume]), tools.run([{**resume, "id": "toolu_5"}])
    assert done[0]["is_error"] is False
    assert json.loads(done[0]["content"])["status"] == "ok"
    assert json.loads(again[0]["content"])["data"]["replayed"] is True
    assert agent.comments() == before + 1


def test_anthropic_sdk_message_object_and_bad_input_are_handled(agent: Agent) -> None:
    blocks = [
        SimpleNamespace(type="text", text="Checking."),
        SimpleNamespace(type="tool_use", id="toolu_9", name="github_get_issue", input={"repo": "acme/web"}),
        SimpleNamespace(type="tool_use", id="toolu_10", name="github_get_issue", input=["acme/web", 3]),
    ]
    missing, wrong = AnthropicTools(agent.kit).run(SimpleNamespace(role="assistant", content=blocks))

    assert missing["is_error"]
    assert wrong["is_error"]
    assert json.loads(missing["content"])["error"]["error"] == "validation_error"
    assert "JSON object" in json.loads(wrong["content"])["error"]["message"]


def test_charter_resume_without_a_known_approval_is_an_error_result(agent: Agent) -> None:
    no_id, unknown = AnthropicTools(agent.kit).run([
        tool_use("toolu_1", "charter_resume", {}),
        tool_use("toolu_2", "charter_resume", {"approval_id": "apr_nothing"}),
    ])  # fmt: skip

    assert json.loads(no_id["content"])["error"]["error"] == "validation_error"
    assert "approval_id" in json.loads(no_id["content"])["error"]["message"]
    assert unknown["is_error"]
    assert json.loads(unknown["content"])["error"]["error"] == "not_found"


def test_a_read_only_grant_gets_no_resume_tool(agent: Agent) -> None:
    reads = [t for t in agent.kit.tools() if t.verb == "read"]

    assert "charter_resume" not in [t["name"] for t in AnthropicTools(agent.kit, tools=reads).tools()]
    assert "charter_resume" not in [
        t["function"]["name"] for t in OpenAITools(agent.kit, tools=reads).chat_tools()
    ]
