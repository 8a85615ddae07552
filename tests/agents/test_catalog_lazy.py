"""A grant's catalog builds a tool's JSON schemas only when that tool is listed or called."""

from __future__ import annotations

import pytest

from charter.agents import Toolkit, catalog
from charter.agents.catalog import Catalog


@pytest.fixture
def built(triage_kit: Toolkit, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The request models whose input schema the catalog built, in order."""
    models: list[object] = []
    schema = catalog.input_schema

    def counted(model: type) -> object:
        models.append(model)
        return schema(model)

    monkeypatch.setattr(catalog, "input_schema", counted)
    return models


def _catalog(kit: Toolkit) -> Catalog:
    # What the Toolkit built, to look at its entries.
    return kit._catalog()


def test_calling_one_tool_builds_that_tool_s_schemas_only(triage_kit: Toolkit, built: list[object]) -> None:
    result = triage_kit.call("github_get_issue", {"repo": "acme/web", "number": 1})
    assert result.ok, result.error
    entries = _catalog(triage_kit).entries
    assert len(entries) > 5
    made = [name for name, entry in entries.items() if "tool" in vars(entry)]
    assert made == ["github_get_issue"]
    assert len(built) == 1


def test_listing_builds_every_allowed_tool_as_before(triage_kit: Toolkit, built: list[object]) -> None:
    # The control: a listing does build the schemas, the same as a catalog built eagerly.
    tools = triage_kit.tools()
    entries = _catalog(triage_kit).entries
    allowed = [e for e in entries.values() if e.allowed]
    assert [t.name for t in tools] == [e.name for e in allowed]
    assert all("tool" in vars(e) for e in allowed)
    assert len(built) == sum(e.spec is not None for e in allowed)
    for tool, entry in zip(tools, allowed, strict=True):
        assert (tool.action, tool.risks) == (entry.action, entry.risks)
        assert tool.input_schema
        assert tool.output_schema
