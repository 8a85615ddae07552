"""Toolsets and on-demand loading, and the size of a full five-service tool list."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import pytest
from pydantic import BaseModel, Field

from charter.agents.tools import Tool
from charter.agents.toolsets import LOAD_TOOLSET
from charter.auth.grants import GrantAuthority
from charter.auth.vocabulary import Vocabulary
from charter.connectors.base import Attribution, Connector, DraftPreview, WriteContext, action
from charter.connectors.base import recipient_field as to_field
from charter.connectors.base import resource_field as res
from charter.connectors.registry import connectors
from charter.schemas import Change, Page, Resource, ValidationError, WriteResult

if TYPE_CHECKING:
    from conftest import Env

# The full tool list of a five-service grant must fit in this many approximate tokens (chars / 4):
# under 12% of a 128k-token context window. docs/security.md explains the choice.
FULL_LIST_BUDGET_TOKENS = 15_000
# Starting on demand (the meta tool alone) must cost under 1% of that window.
ON_DEMAND_BUDGET_TOKENS = 1_000
# The compact form of the same list (`Toolkit.tools(compact=True)`, `charter mcp serve --compact`):
# under 10% of the window, the budget the full list had before SharePoint and Notion were real.
COMPACT_BUDGET_TOKENS = 12_000


def test_toolsets_group_the_grant_by_service_and_verb(env: Env) -> None:
    kit = env.toolkit(env.grant(connections=("notes-mona", "mail-mona")).token)
    sets = {s.name: s.tools for s in kit.toolsets()}
    assert list(sets) == ["mail.read", "mail.draft", "mail.write", "notes.read", "notes.draft", "notes.write"]
    assert sets["notes.read"] == ("notes_list_notes", "notes_get_note")
    assert set(sets["notes.write"]) == {"notes_post_note", "notes_label_note", "notes_commit_draft"}


def test_tools_can_be_narrowed_to_toolsets(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    assert [t.name for t in kit.tools(toolsets=["notes.read"])] == ["notes_list_notes", "notes_get_note"]
    assert len(kit.tools()) == 6


def test_unknown_toolset_names_the_grants_toolsets(env: Env) -> None:
    kit = env.toolkit(env.grant(verbs=("read",)).token)
    with pytest.raises(ValidationError, match=r"its toolsets are: notes\.read"):
        kit.tools(toolsets=["notes.write"])


def test_on_demand_starts_with_the_meta_tool_and_loads_by_calling_it(env: Env) -> None:
    kit = env.toolkit(env.grant().token)
    first = kit.tools(on_demand=True)
    assert [t.name for t in first] == [LOAD_TOOLSET]
    assert "notes.read: list_notes get_note" in first[0].description
    assert first[0].input_schema["properties"]["toolsets"]["items"]["enum"] == [
        "notes.read", "notes.draft", "notes.write",
    ]  # fmt: skip
    before = env.audit_lines()
    loaded = kit.call(LOAD_TOOLSET, {"toolsets": ["notes.read"]})
    assert loaded.ok
    assert loaded.data["loaded"] == ["notes.read"]
    assert [t["name"] for t in loaded.data["tools"]] == ["notes_list_notes", "notes_get_note"]
    assert loaded.data["tools"][1]["input_schema"]["required"] == ["repo", "number"]
    assert env.audit_lines() == before + 1
    assert [t.name for t in kit.tools(on_demand=True)] == [LOAD_TOOLSET, "notes_list_notes", "notes_get_note"]
    assert env.service.requests == []


def test_loading_changes_what_is_listed_never_what_is_allowed(env: Env) -> None:
    kit = env.toolkit(env.grant(verbs=("read",)).token)
    refused = kit.call(LOAD_TOOLSET, {"toolsets": ["notes.write"]})
    assert refused.error is not None
    assert refused.error["error"] == "validation_error"
    # A tool of a toolset that was never loaded still runs: loading saves context, it is no permission.
    assert kit.call("notes_get_note", {"repo": "acme/web", "number": 1}).ok
    assert kit.call("notes_post_note", {"repo": "acme/web", "text": "x"}).status == "error"


def test_two_connections_of_one_service_get_toolsets_per_account(env: Env) -> None:
    kit = env.toolkit(env.grant(connections=("notes-mona", "notes-work"), verbs=("read",)).token)
    assert [s.name for s in kit.toolsets()] == ["notes_mona.read", "notes_mona_work.read"]


# -- the size of a full five-service grant -----------------------------------------------------


class Item(Resource):
    title: str
    body: str = ""


class Find(BaseModel):
    query: str = Field(default="", max_length=500, description="Search text in the service's syntax.")
    max_results: int = Field(default=100, ge=1, le=500, description="Items per page.")
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page.")


class Get(BaseModel):
    id: str = res("items", "The item's id.")


class Window(BaseModel):
    calendar: str = res("calendars", "Calendar id; `primary` for the person's own.", default="primary")
    start: datetime = Field(description="Window start, RFC 3339.")
    end: datetime = Field(description="Window end, RFC 3339.")
    query: str = Field(default="", description="Free text to match.")
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page.")


class Message(Change):
    to: list[str] = to_field("Recipient addresses.", min_length=1, max_length=100)
    cc: list[str] = to_field("Copy addresses.", default_factory=list)
    bcc: list[str] = to_field("Blind-copy addresses.", default_factory=list)
    subject: str = Field(max_length=998, description="Subject line.")
    body: str = Field(max_length=100_000, description="Plain-text body.")
    thread_id: str | None = Field(default=None, description="Reply in this thread.")


class Event(Change):
    calendar: str = res("calendars", "Calendar id.", default="primary")
    summary: str = Field(max_length=1024, description="Title.")
    start: datetime = Field(description="Start, RFC 3339.")
    end: datetime = Field(description="End, RFC 3339.")
    attendees: list[str] = to_field("Attendee addresses.", default_factory=list)
    description: str = Field(default="", description="Details.")


class Doc(Change):
    parent: str = res("items", "Parent page, folder or database id.")
    title: str = Field(max_length=2000, description="Title.")
    content: str = Field(default="", max_length=100_000, description="Markdown content.")


class Target(Change):
    id: str = res("items", "The item's id.")


class Share(Change):
    id: str = res("items", "The item's id.")
    emails: list[str] = to_field("Who to share with.", min_length=1)
    role: Literal["read", "write"] = Field(default="read", description="read or write.")


Writes = dict[str, tuple[type[Change], tuple[str, ...]]]


def _stand_in(service: str, reads: dict[str, type[BaseModel]], writes: Writes) -> type[Connector]:
    """A connector class shaped like `service`: its action names, requests and risks, no behaviour."""
    body: dict[str, Any] = {"name": service, "provider": "github"}
    for name, request in reads.items():

        def read(self: Connector, r: request) -> Page[Item]:  # type: ignore[valid-type]
            raise NotImplementedError

        read.__doc__ = f"{name.replace('_', ' ').capitalize()}."
        read.__annotations__ = {"r": request, "return": Page[Item]}
        body[name] = action("read", scopes=("repo",))(read)
    for name, (change, risks) in writes.items():

        def write(self: Connector, c: change, ctx: WriteContext) -> WriteResult:  # type: ignore[valid-type]
            raise NotImplementedError

        write.__doc__ = f"{name.replace('_', ' ').capitalize()}."
        write.__annotations__ = {"c": change, "ctx": WriteContext, "return": WriteResult}
        body[name] = action("write", scopes=("repo",), risks=risks)(write)  # type: ignore[arg-type]
        if not risks:

            def draft(self: Connector, c: change, a: Attribution | None) -> DraftPreview:  # type: ignore[valid-type]
                raise NotImplementedError

            draft.__doc__ = f"Draft: {name.replace('_', ' ')}, for review."
            draft.__annotations__ = {"c": change, "a": Attribution | None, "return": DraftPreview}
            body[f"draft_{name}"] = action("draft", scopes=("repo",), commits=name)(draft)
    return type(f"{service.title()}StandIn", (Connector,), body)


STAND_INS: dict[str, type[Connector]] = {
    "gmail": _stand_in(
        "gmail",
        {"search_messages": Find, "get_message": Get, "get_thread": Get, "list_labels": Find},
        {"send_message": (Message, ("external",)), "send_draft": (Message, ()), "modify_labels": (Target, ()),
         "trash_message": (Target, ("destructive",))},
    ),
    "calendar": _stand_in(
        "calendar",
        {"list_calendars": Find, "list_events": Window, "get_event": Get, "free_busy": Window},
        {"create_event": (Event, ()), "update_event": (Event, ()), "respond_to_invitation": (Target, ()),
         "delete_event": (Target, ("destructive",))},
    ),
    "sharepoint": _stand_in(
        "sharepoint",
        {"list_sites": Find, "search_files": Find, "list_folder": Get, "get_file": Get},
        {"upload_file": (Doc, ()), "share_file": (Share, ("sharing",)),
         "delete_file": (Target, ("destructive",))},
    ),
    "notion": _stand_in(
        "notion",
        {"search": Find, "get_page": Get, "query_database": Find, "get_blocks": Get},
        {"create_page": (Doc, ()), "append_blocks": (Doc, ()), "update_page": (Doc, ()),
         "archive_page": (Target, ("destructive",))},
    ),
}  # fmt: skip


def _all_scopes(cls: type[Connector]) -> frozenset[str]:
    """Every scope the connector's actions declare: a connection that may run all of them."""
    return frozenset(scope for spec in cls.actions.values() for scope in spec.scopes)


def _context_chars(tools: list[Tool]) -> int:
    """What a framework puts in the model's context per tool: name, description, input schema."""
    listed = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]
    return len(json.dumps(listed, separators=(",", ":")))


def test_a_full_five_service_tool_list_fits_the_budget(
    env: Env, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    installed = connectors()
    services = ("github", "gmail", "calendar", "sharepoint", "notion")
    # Real connectors where installed (registered by entry point), shaped stand-ins for the rest.
    classes = {s: installed.get(s) or STAND_INS[s] for s in services}
    vault = env.fake_vault(
        *((f"{s}-mona", s, "mona@acme.test", "https://api.test", _all_scopes(classes[s])) for s in services)
    )
    destructive = tuple(
        f"{s}_{a}" for s, c in classes.items() for a, spec in c.actions.items() if "destructive" in spec.risks
    )
    authority = GrantAuthority(env.home, vocabulary=Vocabulary.of(classes.values(), vault.service_of))
    grant = authority.issue(
        "mona", "assistant", tuple(f"{s}-mona" for s in services), ("read", "draft", "write"),
        destructive=destructive,
    )  # fmt: skip
    kit = env.toolkit(grant.token, vault=vault, connectors=classes, authority=authority)

    full = kit.tools()
    full_chars = _context_chars(full)
    demand_chars = _context_chars(kit.tools(on_demand=True))
    compact_chars = _context_chars(kit.tools(compact=True))
    # What the README once handed the model: every field of every tool.
    to_dict_chars = len(json.dumps([t.to_dict() for t in full], separators=(",", ":")))
    per_set = {s.name: _context_chars(kit.tools(toolsets=[s.name])) for s in kit.toolsets()}
    largest = max(per_set, key=per_set.__getitem__)
    report = (
        f"five-service grant: {len(full)} tools, {full_chars} chars, ~{full_chars // 4} tokens "
        f"(budget {FULL_LIST_BUDGET_TOKENS}); compact: {compact_chars} chars, ~{compact_chars // 4} tokens "
        f"(budget {COMPACT_BUDGET_TOKENS}); to_dict(): ~{to_dict_chars // 4} tokens; "
        f"on demand at start: {demand_chars} chars, "
        f"~{demand_chars // 4} tokens (budget {ON_DEMAND_BUDGET_TOKENS}); largest toolset: {largest} "
        f"~{per_set[largest] // 4} tokens; real connectors: {', '.join(s for s in classes if s in installed)}"
    )
    record_property("tool_context", report)
    with capsys.disabled():
        print(f"\n[tool context] {report}")
    assert len(full) >= 45
    assert full_chars // 4 <= FULL_LIST_BUDGET_TOKENS, report
    assert demand_chars // 4 <= ON_DEMAND_BUDGET_TOKENS, report
    assert compact_chars // 4 <= COMPACT_BUDGET_TOKENS, report
    assert compact_chars * 3 < to_dict_chars, report  # the README states both figures
    # Compact keeps every tool and every argument: only the words around them go.
    compact = kit.tools(compact=True)
    assert [t.name for t in compact] == [t.name for t in full]
    assert all(set(c.input_schema.get("properties", {})) == set(f.input_schema.get("properties", {}))
               for c, f in zip(compact, full, strict=True))  # fmt: skip
