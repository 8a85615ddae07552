"""A call's input in bounds before anything reads it: the limits, both sides of each, and every adapter.

Each refusal is a `validation_error` with a stable `reason` and a message saying what to send; the
Toolkit records it as one audit entry and nothing reaches the service. The controls show input just
inside each limit still goes through.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, cast

import mcp_types as types
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import ToolMessage
from mcp import Client
from schema_values import JSON_VALUES, nested

from charter.agents.formats import AnthropicTools, OpenAITools
from charter.agents.intake import (
    MAX_DEPTH,
    MAX_INT,
    MAX_NAME,
    MAX_TEXT,
    MAX_VALUES,
    call_arguments,
    shown_name,
    tool_name,
)
from charter.agents.langchain import charter_tools
from charter.agents.mcp import CharterMCP
from charter.auth.audit import digest
from charter.schemas import ValidationError

if TYPE_CHECKING:
    from conftest import Env

LIST = "notes_list_notes"
VALID = {"repo": "acme/web"}


def _chain(depth: int) -> dict[str, Any]:
    """An object `depth` levels deep counting itself: {"a": {"a": ... {}}}."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _cycle() -> dict[str, Any]:
    loop: dict[str, Any] = {"repo": "acme/web"}
    loop["more"] = [loop]
    return loop


class _Exploding(dict[str, Any]):
    def items(self) -> Any:
        raise RuntimeError("items() fails")


REFUSED = [
    ([1, 2], "not_an_object"),
    ("[1, 2]", "not_an_object"),
    (42, "not_an_object"),
    ({"repo"}, "not_an_object"),
    ("{not json", "not_json"),
    (b"\xff\xfe{", "not_json"),
    ('{"n": ' + "9" * 5000 + "}", "not_json"),
    ("[" * 100_000, "too_deep"),
    (_chain(MAX_DEPTH + 1), "too_deep"),
    (_cycle(), "too_deep"),
    ({"x": "y" * (MAX_TEXT + 1)}, "too_large"),
    ("x" * (MAX_TEXT + 1), "too_large"),
    ({"x": list(range(MAX_VALUES))}, "too_large"),
    ({"repo": b"acme/web"}, "not_json_value"),
    ({"repo": float("nan")}, "not_json_value"),
    ({"repo": float("-inf")}, "not_json_value"),
    ({"n": MAX_INT}, "not_json_value"),
    ({"n": 10**5000}, "not_json_value"),
    ({"n": 1j}, "not_json_value"),
    ({"n": object()}, "not_json_value"),
    ({1: "int key"}, "not_json_value"),
    ({("a",): "tuple key"}, "not_json_value"),
    ({"repo": "acme/\udc80"}, "not_text"),
    ({"\ud800": "surrogate key"}, "not_text"),
    (_Exploding(repo="acme/web"), "unreadable"),
]


@pytest.mark.parametrize(("args", "reason"), REFUSED, ids=[r for _, r in REFUSED])
def test_input_out_of_bounds_is_refused_with_its_reason(args: object, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        call_arguments(args)
    assert refused.value.details["reason"] == reason
    message = refused.value.message
    assert "Nothing was run" in message
    assert "call again" in message
    assert len(message) < 400
    message.encode("utf-8")  # never a lone surrogate, whatever the input held


@pytest.mark.parametrize(
    "args",
    [
        _chain(MAX_DEPTH),
        {"x": "y" * (MAX_TEXT - 1)},
        {"x": list(range(MAX_VALUES - 1))},
        {"n": MAX_INT - 1, "m": -MAX_INT + 1, "f": 1e308, "t": True, "z": None},
        json.dumps({"repo": "acme/web", "labels": ["a", "b"]}),
        {"emoji": "🙂 \u2028 \x00 text"},
        {"list": (1, 2, 3)},
    ],
    ids=["depth", "text", "values", "numbers", "json-text", "unicode", "tuple"],
)
def test_input_just_inside_every_limit_goes_through(args: object) -> None:
    copied = call_arguments(args)
    expected = json.loads(args) if isinstance(args, str) else json.loads(json.dumps(args))
    assert copied == expected


def test_the_copy_is_plain_data_the_caller_can_no_longer_change() -> None:
    labels = ["a"]
    original = {"repo": "acme/web", "labels": labels}
    copied = call_arguments(original)
    labels.append("b")
    assert copied == {"repo": "acme/web", "labels": ["a"]}
    assert list(call_arguments({"b": 1, "a": 2, "c": [3, {"d": 4}]})) == ["b", "a", "c"]


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES.filter(lambda v: isinstance(v, dict)))
def test_any_json_object_is_copied_unchanged(value: dict[str, Any]) -> None:
    assert call_arguments(value) == value
    assert call_arguments(json.dumps(value)) == value


@settings(max_examples=300, deadline=None)
@given(st.from_type(type).flatmap(st.from_type) | st.dictionaries(st.text(), st.from_type(object)))
def test_any_python_value_is_copied_or_refused_never_raised(value: object) -> None:
    reasons = []
    try:
        call_arguments(value)
    except ValidationError as exc:
        reasons.append(exc.details["reason"])
    assert all(reasons)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (None, "must be text"),
        (42, "must be text"),
        (["notes_list_notes"], "must be text"),
        ("", "is empty"),
        ("n" * (MAX_NAME + 1), "characters long"),
        ("\udc80", "lone surrogate"),
    ],
)
def test_a_tool_name_that_cannot_name_a_tool_is_refused(name: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        tool_name(name)
    shown_name(name).encode("utf-8")
    assert len(shown_name(name)) <= MAX_NAME + 1


def test_the_audit_digest_takes_any_value() -> None:
    for value in (_cycle(), nested(5000), {1: 2, "a": 3}, b"\xff", "\udc80", 10**5000, object()):
        assert len(digest(value)) == 64
    assert digest({"a": 1}) == digest({"a": 1}) != digest({"a": 2})


# -- through the Toolkit -----------------------------------------------------------------------


def _assert_refused_and_recorded(env: Env, result: Any, before: int, reason: str | None = None) -> None:
    assert result.status == "error", result
    assert result.error["error"] == "validation_error"
    if reason is not None:
        assert result.error["details"]["reason"] == reason
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
    assert env.audit_lines() == before + 1
    last = env.audit.tail(1)[0]
    assert (last.outcome, last.error_code, last.agent) == ("error", "validation_error", "triage-bot")
    assert env.service.requests == []
    assert env.audit.verify().ok


@pytest.mark.parametrize(("args", "reason"), REFUSED, ids=[r for _, r in REFUSED])
def test_the_toolkit_answers_bad_arguments_with_one_audit_entry_and_sends_nothing(
    env: Env, args: object, reason: str
) -> None:
    kit = env.toolkit(env.grant().token)
    before = env.audit_lines()
    result = kit.call(LIST, args)  # type: ignore[arg-type]
    _assert_refused_and_recorded(env, result, before, reason)


@pytest.mark.parametrize("name", [None, 7, ["x"], "", "\udc80" + LIST, "y" * 1_000_000, b"notes_list_notes"])
def test_the_toolkit_answers_a_bad_tool_name_with_one_audit_entry(env: Env, name: object) -> None:
    kit = env.toolkit(env.grant().token)
    before = env.audit_lines()
    result = kit.call(name, VALID)  # type: ignore[arg-type]
    _assert_refused_and_recorded(env, result, before, "bad_name")
    assert len(result.tool) <= MAX_NAME + 1


def test_bad_idempotency_keys_and_approval_ids_are_refused_and_recorded(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    for bad in (7, "", "\udc80", "k" * 10_000):
        before = env.audit_lines()
        result = kit.call("notes_post_note", {"repo": "acme/web", "text": "hi"}, idempotency_key=bad)  # type: ignore[arg-type]
        _assert_refused_and_recorded(env, result, before, "bad_id")
        before = env.audit_lines()
        _assert_refused_and_recorded(env, kit.resume(bad), before, "bad_id")  # type: ignore[arg-type]


def test_control_the_same_call_with_good_input_reaches_the_service(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    before = env.audit_lines()
    for args in (VALID, json.dumps(VALID), {"repo": "acme/web", "cursor": None}):
        assert kit.call(LIST, args).ok  # type: ignore[arg-type]
    assert env.audit_lines() == before + 3
    assert len(env.service.requests) == 3


def test_a_connector_bug_is_the_catch_all_and_still_recorded(env: Env) -> None:
    env.service.fail_with = RuntimeError("ghu_secret in a connector bug")
    kit = env.toolkit(env.grant().token)
    before = env.audit_lines()
    result = kit.call(LIST, VALID)
    assert result.error is not None
    assert result.error["details"]["reason"] == "unexpected"
    assert "ghu_secret" not in json.dumps(result.to_dict())
    assert env.audit_lines() == before + 1


# -- through every adapter ---------------------------------------------------------------------

ADAPTER_INPUT = [
    "{not json",
    "[" * 50_000,
    '{"x": ' + "[" * 3000 + "]" * 3000 + "}",
    "[1, 2]",
    nested(2000),
    [1, 2],
    {"repo": "acme/\udc80"},
    {"repo": b"x"},
]


@pytest.mark.parametrize("raw", ADAPTER_INPUT, ids=range(len(ADAPTER_INPUT)))
def test_openai_and_anthropic_runners_pass_bad_arguments_to_the_toolkit(env: Env, raw: object) -> None:
    kit = env.toolkit(env.grant().token)
    before = env.audit_lines()
    item = {"type": "function_call", "call_id": "c1", "name": LIST, "arguments": raw}
    chat = {"tool_calls": [{"id": "c2", "function": {"name": LIST, "arguments": raw}}]}
    outputs = [
        OpenAITools(kit).run_responses([item])[0]["output"],
        OpenAITools(kit, strict=True).run_chat(chat)[0]["content"],
        AnthropicTools(kit).run([{"type": "tool_use", "id": "t1", "name": LIST, "input": raw}])[0]["content"],
    ]
    for text in outputs:
        text.encode("utf-8")
        assert json.loads(text)["error"]["error"] == "validation_error"
    assert env.audit_lines() == before + 3
    assert env.service.requests == []


@pytest.mark.parametrize("raw", ADAPTER_INPUT, ids=range(len(ADAPTER_INPUT)))
def test_langchain_tools_pass_bad_arguments_to_the_toolkit(env: Env, raw: object) -> None:
    kit = env.toolkit(env.grant().token)
    tool = {t.name: t for t in charter_tools(kit)}[LIST]
    before = env.audit_lines()
    message = tool.invoke({"name": LIST, "args": raw, "id": "call_1", "type": "tool_call"})
    plain = tool.invoke(cast(Any, raw))
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert json.loads(str(message.content))["error"]["error"] == "validation_error"
    assert json.loads(plain)["error"]["error"] == "validation_error"
    assert env.audit_lines() == before + 2
    assert env.service.requests == []


def test_control_langchain_still_runs_good_arguments_given_as_json_text(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    tool = {t.name: t for t in charter_tools(kit)}[LIST]
    message = tool.invoke({"name": LIST, "args": json.dumps(VALID), "id": "call_1", "type": "tool_call"})
    assert isinstance(message, ToolMessage)
    assert message.status == "success", message.content
    assert len(env.service.requests) == 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_mcp_server_passes_bad_input_to_the_toolkit(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    bridge = CharterMCP(kit, approvals=env.approvals)
    before = env.audit_lines()
    sent = [
        ("\udc80" + LIST, VALID),
        ("y" * 100_000, VALID),
        (LIST, {"x": nested(sys.getrecursionlimit() // 4)}),
        (LIST, {"repo": "acme/\udc80"}),
        ("charter_resume", {"approval_id": 7}),
        ("charter_resume", {}),
    ]
    async with Client(bridge.server, mode="legacy") as client:
        for name, args in sent:
            result = await client.call_tool(name, args)
            assert isinstance(result, types.CallToolResult)
            assert result.is_error
            assert result.structured_content is not None
            assert result.structured_content["error"]["error"] == "validation_error"
    assert env.audit_lines() == before + len(sent)
    assert env.service.requests == []


@pytest.mark.parametrize(
    "args", [nested(500), {"toolsets": nested(40)}, {"toolsets": "notes.read"}, {"toolsets": [b"x"]}, "[1]"]
)
def test_the_load_toolset_call_answers_bad_arguments_with_one_audit_entry(env: Env, args: object) -> None:
    kit = env.toolkit(env.grant().token)
    before = env.audit_lines()
    result = kit.call("charter_load_toolset", args)  # type: ignore[arg-type]
    _assert_refused_and_recorded(env, result, before)
    assert kit.call("charter_load_toolset", {"toolsets": ["notes.read"]}).ok


def test_a_runner_on_a_revoked_grant_answers_and_records_instead_of_raising(env: Env) -> None:
    grant = env.grant()
    kit = env.toolkit(grant.token)
    env.authority.revoke(grant.id)
    before = env.audit_lines()
    item = {"type": "function_call", "call_id": "c1", "name": "notes_unknown", "arguments": "{}"}
    out = json.loads(OpenAITools(kit).run_responses([item])[0]["output"])
    assert out["error"]["error"] == "grant_denied"
    assert env.audit_lines() == before + 1
