"""Input that passes validation but that the service refuses: the connector's own answer to it.

Invalid input is refused by the request model before any handler runs, so that check proves only
that the model is strict. This one hands the handler arguments the model accepts and the service
does not (a number nothing has, a value the service rejects) and asks of the connector itself:
a typed, non-retryable charter error, and nothing changed in what others see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from charter.connectors.base import ActionSpec, validate_request
from charter.contract_tests.harness import ContractHarness
from charter.contract_tests.running import MissingExample, run_action
from charter.schemas import CharterError, ConfigurationError


def check_refused_input_is_a_typed_error(harness: ContractHarness) -> None:
    """Every example's `refused` arguments fail with a typed, final charter error and change nothing."""
    cases = [(name, args) for name, ex in harness.examples().items() for args in ex.refused]
    if not cases:
        raise MissingExample(
            f"{type(harness).__name__}.examples() gives no `refused` arguments (valid input the service "
            "refuses, such as an id that does not exist); give at least one"
        )
    problems = []
    for name, args in cases:
        harness.reset()
        problem = _refusal_problem(harness, harness.connector_cls.actions[name], args)
        if problem:
            problems.append(f"{name}({dict(args)!r}): {problem}")
    assert not problems, "input the service refuses was mishandled:\n" + "\n".join(problems)


def _refusal_problem(harness: ContractHarness, spec: ActionSpec, args: Mapping[str, Any]) -> str | None:
    try:
        validate_request(spec, dict(args))
    except CharterError:
        return "the request model refuses these arguments already: move them to `invalid`"
    example = harness.examples()[spec.name]
    before = dict(harness.visible_state()) if spec.verb != "read" else None
    count = example.observe() if example.observe else None
    try:
        result = run_action(harness.connector(harness.credentials()), spec, args)
    except CharterError as exc:
        if exc.retryable or isinstance(exc, ConfigurationError):
            return f"answered {exc.code}, which tells the agent to retry or blames the set-up: {exc.message}"
        if not exc.message.strip():
            return f"answered {exc.code} with no message saying what to do"
    except Exception as exc:  # any untyped failure is the defect
        return f"raised {type(exc).__name__}, not a charter error: {exc}"
    else:
        return f"succeeded with {type(result).__name__}: the service's refusal was hidden"
    if before is not None and dict(harness.visible_state()) != before:
        return "changed what others see while failing (half-written)"
    if count is not None and example.observe is not None and example.observe() != count:
        return "committed its change while failing"
    return None


__all__ = ["check_refused_input_is_a_typed_error"]
