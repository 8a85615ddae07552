"""The README's OpenAI, Anthropic and LangChain snippets run as printed, against stand-in model clients."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from github_consent import connect_sandbox
from langchain_core.messages import AIMessage, ToolMessage
from test_langchain import ScriptedChatModel

from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import GitHubSandbox

README = Path(__file__).resolve().parents[2] / "README.md"
LIST_BUGS = {"repo": "acme/web", "labels": ["bug"]}


def snippet(framework: str) -> str:
    """The python block that follows `**framework**` in the README's grant section."""
    section = README.read_text().split("## Give your agent a grant", 1)[1].split("\n## ", 1)[0]
    found = re.search(rf"\*\*{framework}\*\*.*?```python\n(.*?)```", section, re.DOTALL)
    assert found, f"no {framework} snippet in the README"
    return found.group(1)


@pytest.fixture
def grant_file(tmp_path: Path, sb: GitHubSandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`triage-bot.grant` in the working directory, for a home in `$CHARTER_HOME`, as after the tour."""
    monkeypatch.setenv("CHARTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CHARTER_KEY", raising=False)
    monkeypatch.delenv("CHARTER_GRANT_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    home = CharterHome()
    conn = connect_sandbox(Vault(home), sb)
    grant = GrantAuthority(home).issue(
        "mona", "triage-bot", (conn.id,), ("read", "draft", "write"), constraints={"repos": ("acme/web",)}
    )
    path = tmp_path / "triage-bot.grant"
    path.write_text(grant.token + "\n")
    return path


def fake_module(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: object) -> None:
    module = ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)


class Script:
    """A stand-in model API: answers each request with the next scripted reply, keeping the requests."""

    def __init__(self, *replies: object) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def create(self, **request: Any) -> object:
        self.requests.append(json.loads(json.dumps(request, default=vars)))
        return self.replies.pop(0)


def test_the_openai_snippet_runs_a_tool_call_and_sends_its_output_back(
    grant_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    call = SimpleNamespace(type="function_call", call_id="call_1", name="github_list_issues",
                           arguments=json.dumps(LIST_BUGS))  # fmt: skip
    api = Script(
        SimpleNamespace(output=[call], output_text=""),
        SimpleNamespace(output=[SimpleNamespace(type="message")], output_text="Issue 3 is a crash."),
    )
    fake_module(monkeypatch, "openai", OpenAI=lambda: SimpleNamespace(responses=api))

    exec(snippet("OpenAI"), {})

    assert capsys.readouterr().out == "Issue 3 is a crash.\n"
    assert "github_list_issues" in [t["name"] for t in api.requests[0]["tools"]]
    sent = api.requests[1]["input"][-1]
    assert (sent["type"], sent["call_id"]) == ("function_call_output", "call_1")
    assert json.loads(sent["output"])["data"]["items"]


def test_the_anthropic_snippet_answers_tool_use_with_tool_results(
    grant_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use = SimpleNamespace(type="tool_use", id="toolu_1", name="github_list_issues", input=LIST_BUGS)
    api = Script(
        SimpleNamespace(stop_reason="tool_use", content=[use]),
        SimpleNamespace(stop_reason="end_turn", content=[SimpleNamespace(type="text", text="Done.")]),
    )
    fake_module(monkeypatch, "anthropic", Anthropic=lambda: SimpleNamespace(messages=api))

    exec(snippet("Anthropic"), {})

    assert len(api.requests) == 2
    (result,) = api.requests[1]["messages"][-1]["content"]
    assert (result["type"], result["tool_use_id"], result["is_error"]) == ("tool_result", "toolu_1", False)
    assert json.loads(result["content"])["data"]["items"]


def test_the_langchain_snippet_runs_the_models_tool_calls(
    grant_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ScriptedChatModel(messages=iter([
        AIMessage(content="", tool_calls=[{"name": "github_list_issues", "args": LIST_BUGS, "id": "c1",
                                           "type": "tool_call"}]),
        AIMessage(content="Issue 3 is a crash."),
    ]))  # fmt: skip
    fake_module(monkeypatch, "langchain")
    fake_module(monkeypatch, "langchain.chat_models", init_chat_model=lambda name: model)
    scope: dict[str, Any] = {}

    exec(snippet("LangChain"), scope)

    assert capsys.readouterr().out == "Issue 3 is a crash.\n"
    (tool_message,) = [m for m in scope["messages"] if isinstance(m, ToolMessage)]
    assert tool_message.tool_call_id == "c1"
    assert json.loads(str(tool_message.content))["status"] == "ok"
