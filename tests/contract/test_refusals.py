"""The refused-input check tells each way a handler can mishandle input the service refuses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from charter.connectors.base import Connector, WriteContext
from charter.contract_tests.harness import Example
from charter.contract_tests.refusals import check_refused_input_is_a_typed_error
from charter.contract_tests.running import MissingExample
from charter.schemas import NotFound, UpstreamError, WriteResult
from charter_notes import NotesConnector
from charter_notes.models import CreateNote, GetNote, Note
from charter_notes.testing import NotesHarness


class RaisesKeyError(NotesConnector):
    def get_note(self, request: GetNote) -> Note:
        try:
            return super().get_note(request)
        except NotFound:
            raise KeyError(request.number) from None


class CallsItTransient(NotesConnector):
    def get_note(self, request: GetNote) -> Note:
        try:
            return super().get_note(request)
        except NotFound:
            raise UpstreamError("notes had a hiccup; try again") from None


class WritesBeforeFailing(NotesConnector):
    def create_note(self, change: CreateNote, ctx: WriteContext) -> WriteResult:
        self.send("POST", "/notes", {"title": "placeholder", "body": ""})
        return super().create_note(change, ctx)


def _harness(connector: type[Connector], examples: Mapping[str, Example] | None = None) -> NotesHarness:
    attrs: dict[str, Any] = {"connector_cls": connector}
    if examples is not None:
        attrs["examples"] = lambda self: examples
    harness: NotesHarness = type("Harness", (NotesHarness,), attrs)()
    harness.start()
    return harness


@pytest.fixture
def stop() -> Iterator[list[NotesHarness]]:
    started: list[NotesHarness] = []
    yield started
    for harness in started:
        harness.stop()


@pytest.mark.parametrize(
    ("connector", "said"),
    [
        (RaisesKeyError, "get_note({'number': 999}): raised KeyError, not a charter error"),
        (
            CallsItTransient,
            "get_note({'number': 999}): answered upstream_error, which tells the agent to retry",
        ),
        (WritesBeforeFailing, "create_note({'title': ' \\t '}): changed what others see while failing"),
    ],
)
def test_each_mishandling_is_named(connector: type[Connector], said: str, stop: list[NotesHarness]) -> None:
    stop.append(harness := _harness(connector))
    with pytest.raises(AssertionError) as caught:
        check_refused_input_is_a_typed_error(harness)
    assert said in str(caught.value)


def test_the_honest_connector_passes(stop: list[NotesHarness]) -> None:
    stop.append(harness := _harness(NotesConnector))
    check_refused_input_is_a_typed_error(harness)


def test_refused_arguments_the_model_rejects_belong_in_invalid(stop: list[NotesHarness]) -> None:
    stop.append(
        harness := _harness(NotesConnector, {"get_note": Example({"number": 3}, refused=({"number": 0},))})
    )
    with pytest.raises(AssertionError, match="move them to `invalid`"):
        check_refused_input_is_a_typed_error(harness)


def test_a_harness_without_refused_arguments_is_told_to_give_some(stop: list[NotesHarness]) -> None:
    stop.append(harness := _harness(NotesConnector, {"get_note": Example({"number": 3})}))
    with pytest.raises(MissingExample, match="gives no `refused` arguments"):
        check_refused_input_is_a_typed_error(harness)
