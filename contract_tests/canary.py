"""The secret canary and the fidelity checks: what must never leak, and what must match the spec."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from functools import partial

from pydantic import BaseModel

from charter.connectors.base import ActionSpec
from charter.contract_tests.harness import ContractHarness, Example
from charter.contract_tests.running import first_with_example, needed_scopes, run_action
from charter.contract_tests.toolkit_canary import toolkit_exposure
from charter.schemas import CharterError

# Unique enough that no service, library or test would print it by chance.
CANARY = "cnry7Q4xWm2Zk9"


class Exposure:
    """Everything a person, a log or an LLM could see during the canary run, by where it was seen."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def add(self, where: str, text: object) -> None:
        self.seen.append((where, text if isinstance(text, str) else repr(text)))

    def result(self, where: str, result: object) -> None:
        if isinstance(result, BaseModel):
            self.add(where, result.model_dump_json())
        self.add(where, result)

    def error(self, where: str, exc: BaseException) -> None:
        self.add(f"{where} (str)", str(exc))
        self.add(f"{where} (repr)", repr(exc))
        self.add(f"{where} (traceback)", "".join(traceback.format_exception(exc)))
        if isinstance(exc, CharterError):
            self.add(f"{where} (tool output)", exc.to_dict())

    def leaks(self, canary: str) -> list[str]:
        return [where for where, text in self.seen if canary in text]


def _attempt(exposure: Exposure, where: str, call: Callable[[], object]) -> None:
    try:
        exposure.result(where, call())
    except Exception as exc:  # every failure is shown to someone: all are inspected
        exposure.error(where, exc)


def canary_exposure(harness: ContractHarness, canary: str = CANARY) -> Exposure:
    """Run calls that succeed and calls that fail on a connection whose secrets hold `canary`."""
    exposure = Exposure()
    for name, example in harness.examples().items():
        harness.reset()
        _exercise(harness, exposure, harness.connector_cls.actions[name], example, canary)
    _failures(harness, exposure, canary)
    return exposure


def _exercise(
    harness: ContractHarness, exposure: Exposure, spec: ActionSpec, example: Example, canary: str
) -> None:
    credentials = harness.credentials(canary=canary)
    assert canary in credentials.access_token(), "the harness did not put the canary in the token"
    connector = harness.connector(credentials)
    exposure.add("connector repr", connector)
    exposure.add("credentials repr", credentials)
    _attempt(exposure, f"{spec.name} (succeeds)", lambda: run_action(connector, spec, example.args))
    for args in example.invalid:
        _attempt(exposure, f"{spec.name} (invalid)", partial(run_action, connector, spec, args))
    declared = needed_scopes(harness.connector_cls, spec)
    if declared:
        refused = harness.connector(harness.credentials(frozenset(), claimed=declared, canary=canary))
        _attempt(exposure, f"{spec.name} (provider refuses)", lambda: run_action(refused, spec, example.args))


def _failures(harness: ContractHarness, exposure: Exposure, canary: str) -> None:
    spec, example = first_with_example(harness, "read")
    harness.reset()
    connector = harness.connector(harness.credentials(canary=canary))
    harness.expire_tokens()
    _attempt(exposure, f"{spec.name} (after a refresh)", lambda: run_action(connector, spec, example.args))
    harness.revoke_tokens()
    _attempt(exposure, f"{spec.name} (revoked)", lambda: run_action(connector, spec, example.args))
    write, write_example = first_with_example(harness, "write")
    harness.reset()
    connector = harness.connector(harness.credentials(canary=canary))
    harness.fail_next(20, 502)
    _attempt(
        exposure, f"{write.name} (upstream fails)", lambda: run_action(connector, write, write_example.args)
    )


def check_canary_never_leaks(harness: ContractHarness, log_text: Callable[[], str]) -> None:
    """The canary in the connection's secrets appears in no result, error, repr or log line."""
    exposure = canary_exposure(harness)
    toolkit_exposure(harness, exposure, CANARY)
    exposure.add("logs", log_text())
    leaks = exposure.leaks(CANARY)
    assert not leaks, f"the secret canary leaked into: {', '.join(sorted(set(leaks)))}"


def check_responses_match_description(harness: ContractHarness) -> None:
    """Every response the connector received, for every example and a refusal, matches the official spec."""
    problems: list[str] = []
    for name, example in harness.examples().items():
        harness.reset()
        spec = harness.connector_cls.actions[name]
        connector = harness.connector(harness.credentials())
        run_action(connector, spec, example.args)
        problems += [f"{name}: {p}" for p in harness.fidelity_problems() or []]
        declared = needed_scopes(harness.connector_cls, spec)
        if declared and spec.verb == "read":
            harness.reset()
            refused = harness.connector(harness.credentials(frozenset(), claimed=declared))
            with contextlib.suppress(CharterError):
                run_action(refused, spec, example.args)
            problems += [f"{name} (refused): {p}" for p in harness.fidelity_problems() or []]
    assert not problems, "responses that differ from the official API description:\n" + "\n".join(problems)


__all__ = [
    "CANARY",
    "Exposure",
    "canary_exposure",
    "check_canary_never_leaks",
    "check_responses_match_description",
]
