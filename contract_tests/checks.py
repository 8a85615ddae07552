"""The behavioural checks of the contract suite, as plain functions over a started harness.

Each raises AssertionError naming what the connector did wrong; the suite's test methods call them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from charter.connectors.base import (
    ActionSpec,
    Connector,
    DraftStore,
    MemoryDraftStore,
    MemoryWriteLedger,
    WriteLedger,
    validate_request,
)
from charter.contract_tests.harness import ContractHarness, Example
from charter.contract_tests.running import (
    CountingCredentials,
    as_write_result,
    commit,
    example_for,
    first_with_example,
    needed_scopes,
    read_all,
    run_action,
)
from charter.schemas import (
    AuthRequired,
    CharterError,
    OutcomeUnknown,
    Page,
    Resource,
    ScopeMissing,
    ValidationError,
)

Fault = Literal["none", "5xx", "drop-before-commit", "drop-after-commit"]
FAULTS: tuple[Fault, ...] = ("none", "5xx", "drop-before-commit", "drop-after-commit")
_MISSING = object()


def _spec(harness: ContractHarness, action: str) -> ActionSpec:
    return harness.connector_cls.actions[action]


# -- reads -----------------------------------------------------------------------------------


def check_read_results_validate(harness: ContractHarness, action: str) -> None:
    """Every page validates against the declared result model and carries provenance."""
    spec, example = _spec(harness, action), example_for(harness, action)
    name = harness.connector_cls.name
    model = spec.result
    assert isinstance(model, type), f"{action} declares no result model"
    assert issubclass(model, BaseModel), f"{action} declares no result model"
    for result in read_all(harness.connector(harness.credentials()), spec, example.args):
        assert isinstance(result, model), f"{action} returned {type(result).__name__}, not {model.__name__}"
        again = model.model_validate(result.model_dump(mode="json"))
        assert again.model_dump(mode="json") == result.model_dump(mode="json"), (
            f"{action}: the result does not survive a JSON round trip through {model.__name__}"
        )
        for item in result.items if isinstance(result, Page) else [result]:
            assert isinstance(item, Resource), f"{action} returned {type(item).__name__}, not a Resource"
            assert item.provenance.connector == name, (
                f"{action}: provenance names {item.provenance.connector!r}, not {name!r}"
            )


def check_pagination_reaches_the_end(harness: ContractHarness, action: str) -> None:
    """Following cursors ends, yields every item once, and reaches what the seed data holds."""
    spec, example = _spec(harness, action), example_for(harness, action)
    pages = read_all(harness.connector(harness.credentials()), spec, example.args)
    ids = [item.id for page in pages if isinstance(page, Page) for item in page.items]
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not repeated, f"{action}: ids {repeated[:5]} appear on more than one page"
    assert len(pages) >= example.min_pages, (
        f"{action}: {len(pages)} page(s), but the example's data fills at least {example.min_pages}"
    )
    assert len(ids) >= example.min_items, f"{action}: {len(ids)} items, expected at least {example.min_items}"


def check_repeated_read_is_identical(harness: ContractHarness, action: str) -> None:
    """Reading the same thing twice with one connector gives the same results."""
    spec, example = _spec(harness, action), example_for(harness, action)
    connector = harness.connector(harness.credentials())
    first = [r.model_dump(mode="json") for r in read_all(connector, spec, example.args)]
    second = [r.model_dump(mode="json") for r in read_all(connector, spec, example.args)]
    assert first == second, f"{action}: a repeated read returned different results"


# -- validation ------------------------------------------------------------------------------


def invalid_arguments(spec: ActionSpec, example: Example) -> list[dict[str, Any]]:
    """The harness's invalid arguments, plus the valid ones without the first required field."""
    out = [dict(args) for args in example.invalid]
    required = [name for name, f in spec.request.model_fields.items() if f.is_required()]
    if required:
        out.append({k: v for k, v in example.args.items() if k != required[0]})
    return out


def check_invalid_input_sends_nothing(harness: ContractHarness, action: str) -> None:
    """Invalid arguments fail with validation_error and no request reaches the service."""
    spec, example = _spec(harness, action), example_for(harness, action)
    cases = invalid_arguments(spec, example)
    assert cases, f"{action}: give the example at least one invalid set of arguments"
    connector = harness.connector(harness.credentials())
    for args in cases:
        before = harness.request_count()
        try:
            run_action(connector, spec, args)
        except ValidationError:
            pass
        else:
            raise AssertionError(f"{action} accepted invalid arguments {args!r}")
        after = harness.request_count()
        if before is not None and after is not None:
            assert before == after, f"{action} sent {after - before} request(s) for invalid {args!r}"


# -- scopes ----------------------------------------------------------------------------------


def check_missing_scope_refused_before_sending(harness: ContractHarness, action: str, scope: str) -> None:
    """Without `scope` the call fails with scope_missing before any request."""
    spec, example = _spec(harness, action), example_for(harness, action)
    fewer = needed_scopes(harness.connector_cls, spec) - {scope}
    connector = harness.connector(harness.credentials(fewer))
    before = harness.request_count()
    try:
        run_action(connector, spec, example.args)
    except ScopeMissing as exc:
        message = exc.message
    else:
        raise AssertionError(f"{action} ran without the declared scope {scope!r}")
    assert scope in message, f"{action}: the scope_missing message does not name {scope!r}: {message}"
    assert harness.request_count() == before, f"{action} sent requests before refusing a missing scope"


def check_provider_needs_scope(harness: ContractHarness, action: str, scope: str) -> None:
    """With the connector's own check fooled, the provider still refuses: the scope is really needed."""
    spec, example = _spec(harness, action), example_for(harness, action)
    declared = needed_scopes(harness.connector_cls, spec)
    connector = harness.connector(harness.credentials(declared - {scope}, claimed=declared))
    try:
        run_action(connector, spec, example.args)
    except ScopeMissing:
        return
    except CharterError as exc:
        raise AssertionError(
            f"{action} without {scope!r} failed with {exc.code}, not scope_missing: {exc.message}"
        ) from None
    raise AssertionError(f"{action} succeeded without {scope!r}: the scope is not needed, drop it")


def check_declared_scopes_suffice(harness: ContractHarness, action: str) -> None:
    """A connection holding exactly the declared scopes runs the action."""
    spec, example = _spec(harness, action), example_for(harness, action)
    declared = needed_scopes(harness.connector_cls, spec)
    connector = harness.connector(harness.credentials(declared))
    try:
        run_action(connector, spec, example.args)
    except CharterError as exc:
        raise AssertionError(
            f"{action} failed with only its declared scopes {sorted(declared)}: {exc.code}: {exc.message}"
        ) from None


# -- drafts and writes -----------------------------------------------------------------------


def _changed(before: Mapping[str, object], after: Mapping[str, object]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k, _MISSING) != after.get(k, _MISSING)}


def _observe(example: Example, action: str) -> int:
    assert example.observe is not None, f"{action}: the example needs `observe` to count its effect"
    return example.observe()


def check_draft_is_invisible(harness: ContractHarness, action: str) -> None:
    """A draft changes nothing others see (a native draft only adds itself) and commits nothing."""
    spec, example = _spec(harness, action), example_for(harness, action)
    connector = harness.connector(harness.credentials())
    state, count = dict(harness.visible_state()), _observe(example, action)
    draft = connector.draft(validate_request(spec, dict(example.args)))
    changed = _changed(state, harness.visible_state())
    allowed = harness.native_draft_keys(draft) if draft.location == "native" else frozenset()
    assert changed <= allowed, f"{action}: the draft changed what others see: {sorted(changed - allowed)}"
    assert _observe(example, action) == count, f"{action}: the draft already committed its change"
    assert (draft.connector, draft.action) == (connector.name, spec.commits), f"{action}: draft mislabelled"
    assert draft.preview.strip(), f"{action}: the draft has no preview for a person to review"


def check_draft_shows_nothing_to_others(harness: ContractHarness, action: str) -> None:
    """After a draft, another user of the service sees nothing new: not even a native draft."""
    spec, example = _spec(harness, action), example_for(harness, action)
    connector = harness.connector(harness.credentials())
    before = dict(harness.seen_by_others())
    connector.draft(validate_request(spec, dict(example.args)))
    changed = sorted(_changed(before, harness.seen_by_others()))
    assert not changed, (
        f"{action}: the draft left what another user of {connector.name} can see: {changed[:5]}. "
        "A change others can see is a write (declare it as one, with its reach), or the draft "
        "must be held in Charter's draft store."
    )


def _arm(harness: ContractHarness, fault: Fault) -> None:
    if fault == "5xx":
        harness.fail_next(1, 502)
    elif fault == "drop-before-commit":
        harness.drop_next(1, after_commit=False)
    elif fault == "drop-after-commit":
        harness.drop_next(1, after_commit=True)


def _sharing(harness: ContractHarness, ledger: WriteLedger, drafts: DraftStore) -> Connector:
    """A fresh connector that shares only the ledger and draft store, as another process would."""
    connector = harness.connector(harness.credentials())
    connector.ledger, connector.drafts = ledger, drafts
    if harness.mode == "sandbox":
        # Sandboxes commit before they answer: a long commit window would only slow the suite.
        connector.commit_window = min(connector.commit_window, 0.2)
    return connector


def check_commits_exactly_once(harness: ContractHarness, action: str, fault: Fault) -> None:
    """Committing (a write, or a draft by id) changes the service exactly once, despite `fault`."""
    spec, example = _spec(harness, action), example_for(harness, action)
    connector = harness.connector(harness.credentials())
    change, write_action = commit(connector, spec, example.args)
    count = _observe(example, action)
    _arm(harness, fault)
    result = as_write_result(connector.write(change))
    seen = _observe(example, action)
    assert seen == count + 1, f"{action} with fault {fault}: the change is visible {seen - count} times"
    if fault != "none":
        assert harness.faults_pending() == 0, f"{action}: the {fault} fault was never met by a request"
    assert result.action == write_action, f"{action}: the result names {result.action!r}"
    assert not result.replayed, f"{action}: a first commit was reported as replayed"
    again = as_write_result(connector.write(change, idempotency_key=result.idempotency_key))
    assert again.replayed, f"{action}: repeating the idempotency key was not reported as replayed"
    assert _observe(example, action) == count + 1, f"{action}: repeating the idempotency key wrote again"


def check_lost_answer_is_found_by_a_later_caller(harness: ContractHarness, action: str) -> None:
    """A commit whose only attempt lost its answer is found in the service by the next caller.

    The fault hits the first state-changing request after it committed. The first caller must
    answer `outcome_unknown` (never a blind resend); a fresh connector that shares only the
    ledger's record of the intent then writes with the same key, and the service must hold the
    change once: the connector itself looked for it, the ledger had no result to replay.
    """
    spec, example = _spec(harness, action), example_for(harness, action)
    ledger, drafts = MemoryWriteLedger(), MemoryDraftStore()
    first = _sharing(harness, ledger, drafts)
    first.write_attempts = 1
    change, _ = commit(first, spec, example.args)
    key = f"contract:{action}:lost-answer"
    count = _observe(example, action)
    harness.drop_next(1, after_commit=True)
    try:
        first.write(change, idempotency_key=key)
    except OutcomeUnknown:
        pass
    else:
        raise AssertionError(f"{action}: a commit whose only answer was lost did not say outcome_unknown")
    assert harness.faults_pending() == 0, f"{action}: the drop-after-commit fault was never met"
    # A write made of steps (a native draft, then its send) may have lost only its first step.
    assert _observe(example, action) in (count, count + 1), f"{action}: one lost attempt committed twice"
    later = as_write_result(_sharing(harness, ledger, drafts).write(change, idempotency_key=key))
    seen = _observe(example, action)
    assert seen == count + 1, (
        f"{action}: a later caller with the same idempotency key made the change visible {seen - count} "
        "times; on a retry (ctx.is_retry) look in the service for the earlier attempt's effect first"
    )
    assert not later.replayed, f"{action}: the later caller's result came from nowhere but the ledger"
    assert later.idempotency_key == key, f"{action}: the later caller's result names another key"


# -- tokens and rate limits ------------------------------------------------------------------


def check_expired_token_refreshes_once(harness: ContractHarness, verb: str) -> None:
    """After the access token expires, one refresh and the call succeeds."""
    spec, example = first_with_example(harness, verb)
    credentials = CountingCredentials(harness.credentials())
    connector = harness.connector(credentials)
    harness.expire_tokens()
    run_action(connector, spec, example.args)
    assert credentials.refreshes == 1, f"{spec.name}: {credentials.refreshes} refreshes, expected exactly 1"


def check_revoked_token_needs_reconnect(harness: ContractHarness) -> None:
    """A revoked token gives auth_required with a message saying to connect again."""
    spec, example = first_with_example(harness, "read")
    connector = harness.connector(harness.credentials())
    harness.revoke_tokens()
    try:
        run_action(connector, spec, example.args)
    except AuthRequired as exc:
        message = exc.message
    except CharterError as exc:
        raise AssertionError(f"a revoked token gave {exc.code}, not auth_required: {exc.message}") from None
    else:
        raise AssertionError(f"{spec.name} succeeded with a revoked token")
    assert "connect" in message.lower(), f"auth_required should say to connect again: {message}"


def check_retry_after_is_honoured(harness: ContractHarness) -> None:
    """A 429 with Retry-After is waited out: the call succeeds and nothing came back early."""
    spec, example = first_with_example(harness, "read")
    retry_after = harness.retry_after
    connector = harness.connector(harness.credentials())
    harness.rate_limit_next(retry_after)
    run_action(connector, spec, example.args)
    assert harness.faults_pending() == 0, f"{spec.name}: the 429 was never served"
    assert harness.early_retries() == 0, f"{spec.name} retried before Retry-After elapsed"


def run_every_example(harness: ContractHarness) -> dict[str, BaseModel]:
    """Run each example once from the seed; the results by action."""
    results: dict[str, BaseModel] = {}
    for name, example in harness.examples().items():
        harness.reset()
        spec = harness.connector_cls.actions[name]
        connector = harness.connector(harness.credentials())
        if spec.verb == "read":
            results[name] = read_all(connector, spec, example.args)[-1]
        else:
            results[name] = run_action(connector, spec, example.args)
    return results


__all__ = [
    "FAULTS",
    "Fault",
    "check_commits_exactly_once",
    "check_declared_scopes_suffice",
    "check_draft_is_invisible",
    "check_expired_token_refreshes_once",
    "check_invalid_input_sends_nothing",
    "check_lost_answer_is_found_by_a_later_caller",
    "check_missing_scope_refused_before_sending",
    "check_pagination_reaches_the_end",
    "check_provider_needs_scope",
    "check_read_results_validate",
    "check_repeated_read_is_identical",
    "check_retry_after_is_honoured",
    "check_revoked_token_needs_reconnect",
    "invalid_arguments",
    "run_every_example",
]
