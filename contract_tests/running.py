"""Running a harness's examples through a connector, the way every check does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from charter.connectors.base import ActionSpec, Connector, Credentials, validate_request
from charter.contract_tests.harness import ContractHarness, Example
from charter.schemas import Page, WriteResult

MAX_PAGES = 200


class MissingExample(LookupError):
    """The harness has no example for what a check needs."""


class CountingCredentials:
    """Credentials that count the refreshes a connector asks for."""

    def __init__(self, inner: Credentials) -> None:
        self.inner = inner
        self.refreshes = 0

    @property
    def connection_id(self) -> str:
        return self.inner.connection_id

    @property
    def account(self) -> str:
        return self.inner.account

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self.inner.granted_scopes

    def access_token(self) -> str:
        return self.inner.access_token()

    def refresh(self, rejected: str) -> str:
        self.refreshes += 1
        return self.inner.refresh(rejected)

    def __repr__(self) -> str:
        return f"<CountingCredentials {self.inner!r} refreshes={self.refreshes}>"


def example_for(harness: ContractHarness, action: str) -> Example:
    """The harness's example for `action`; a missing one is a gap in the harness."""
    examples = harness.examples()
    if action not in examples:
        raise MissingExample(f"{type(harness).__name__}.examples() has no example for {action!r}")
    return examples[action]


def needed_scopes(connector_cls: type[Connector], spec: ActionSpec) -> frozenset[str]:
    """The scopes one run of `spec` needs; a draft's run includes committing it."""
    scopes = set(spec.scopes)
    if spec.verb == "draft" and spec.commits:
        scopes |= set(connector_cls.actions[spec.commits].scopes)
    return frozenset(scopes)


def run_action(connector: Connector, spec: ActionSpec, args: Mapping[str, Any]) -> BaseModel:
    """Run `spec` once with `args`: a read, a write, or a draft and its commit."""
    request = validate_request(spec, dict(args))
    if spec.verb == "read":
        result: BaseModel = connector.read(request)
        return result
    if spec.verb == "draft":
        draft = connector.draft(request)
        return connector.write(draft.id)
    return connector.write(request)


def commit(connector: Connector, spec: ActionSpec, args: Mapping[str, Any]) -> tuple[str | BaseModel, str]:
    """What to pass to `write` to commit `args` (a draft's id, drafted now, or the change)."""
    request = validate_request(spec, dict(args))
    if spec.verb == "draft":
        return connector.draft(request).id, spec.commits or spec.name
    return request, spec.name


def read_all(connector: Connector, spec: ActionSpec, args: Mapping[str, Any]) -> list[BaseModel]:
    """Every page of a read, following `next_cursor` to the end (one result for a plain read)."""
    request = validate_request(spec, dict(args))
    results: list[BaseModel] = []
    cursors: set[str] = set()
    while True:
        result = connector.read(request)
        results.append(result)
        if not isinstance(result, Page) or result.next_cursor is None:
            return results
        cursor = result.next_cursor
        assert cursor not in cursors, f"{spec.name}: cursor {cursor!r} came back twice; pagination loops"
        assert len(results) < MAX_PAGES, f"{spec.name}: more than {MAX_PAGES} pages; pagination never ends"
        assert "cursor" in spec.request.model_fields, (
            f"{spec.name} returns next_cursor but {spec.request.__name__} has no `cursor` field to take it"
        )
        cursors.add(cursor)
        request = request.model_copy(update={"cursor": cursor})


def is_paginated(spec: ActionSpec) -> bool:
    return spec.verb == "read" and isinstance(spec.result, type) and issubclass(spec.result, Page)


def first_with_example(harness: ContractHarness, verb: str) -> tuple[ActionSpec, Example]:
    """The first action of `verb` the harness has an example for (and, for writes, can observe)."""
    examples = harness.examples()
    for spec in harness.connector_cls.actions.values():
        example = examples.get(spec.name)
        if spec.verb == verb and example is not None and (verb == "read" or example.observe):
            return spec, example
    raise MissingExample(f"{type(harness).__name__}.examples() has no {verb} example")


def as_write_result(result: BaseModel) -> WriteResult:
    assert isinstance(result, WriteResult), f"a write returned {type(result).__name__}, not WriteResult"
    return result


__all__ = [
    "CountingCredentials",
    "MissingExample",
    "as_write_result",
    "commit",
    "example_for",
    "first_with_example",
    "is_paginated",
    "needed_scopes",
    "read_all",
    "run_action",
]
