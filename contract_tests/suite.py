"""`contract_suite(HarnessClass)`: the whole standard test suite for a connector, as one pytest class.

In a connector package's tests::

    from charter.contract_tests import contract_suite
    TestAcmeContract = contract_suite(AcmeHarness)

Each check runs against the sandbox (one per session, reset before every test) and, when the
harness's live environment variables are set, against the real service; otherwise the live run
is skipped, saying which variables to set.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

import pytest

from charter.contract_tests import canary, canary_trails, checks, refusals
from charter.contract_tests.declarations import action_problems, connector_problems
from charter.contract_tests.google_scopes import action_scope_problems
from charter.contract_tests.harness import ContractHarness
from charter.contract_tests.running import MissingExample, is_paginated, needed_scopes

T = TypeVar("T", bound=Callable[..., None])
_SANDBOX_ONLY = "needs the sandbox's inspection and fault injection; it runs in sandbox mode"


def _over(kind: str) -> Callable[[T], T]:
    """Parametrise a test over the connector's actions of `kind` (filled in at collection)."""

    def mark(fn: T) -> T:
        fn._charter_over = kind  # type: ignore[attr-defined]
        return fn

    return mark


def _sandbox_only(fn: T) -> T:
    @functools.wraps(fn)
    def run(self: Any, h: ContractHarness, *args: Any, **kwargs: Any) -> None:
        if h.mode == "live":
            pytest.skip(_SANDBOX_ONLY)
        fn(self, h, *args, **kwargs)

    return run  # type: ignore[return-value]


def _guarded(h: ContractHarness, check: Callable[[], None]) -> None:
    """Run a check; a hook or example the harness lacks fails in sandbox mode and skips in live mode."""
    try:
        check()
    except (NotImplementedError, MissingExample) as exc:
        gap = str(exc) or f"{type(h).__name__} does not implement a hook this check needs"
        if h.mode == "live":
            pytest.skip(f"live mode: {gap}")
        pytest.fail(f"{type(h).__name__}: {gap}", pytrace=False)


class ContractSuite:
    """The checks every connector passes; `contract_suite` binds them to one harness."""

    __test__ = False
    harness_cls: ClassVar[type[ContractHarness]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "harness" in metafunc.fixturenames:
            # Live runs exist only when their credentials do; test_live_account says what to set.
            modes: list[Any] = ["sandbox"]
            if not self.harness_cls.live_missing():
                modes.append(pytest.param("live", marks=pytest.mark.live))
            metafunc.parametrize("harness", modes, indirect=True, scope="class")
        kind = getattr(metafunc.function, "_charter_over", None)
        if kind is None:
            return
        actions = self.harness_cls.connector_cls.actions
        if kind == "scopes":
            pairs = [
                (spec.name, scope)
                for spec in actions.values()
                for scope in sorted(needed_scopes(self.harness_cls.connector_cls, spec))
            ]
            metafunc.parametrize(("action", "scope"), pairs, ids=[f"{a}-{s}" for a, s in pairs])
            return
        if kind == "discovery":
            # Only a harness naming its API's discovery document gets these checks.
            declared = getattr(self.harness_cls, "discovery_api", None)
            names = sorted(actions) if declared else []
        else:
            names = [spec.name for spec in actions.values() if _kind_matches(kind, spec)]
        metafunc.parametrize("action", names)

    @pytest.fixture(scope="class")
    @classmethod
    def harness(cls, request: pytest.FixtureRequest) -> Iterator[ContractHarness]:
        harness = cls.harness_cls(request.param)
        harness.start()
        try:
            yield harness
        finally:
            harness.stop()

    @pytest.fixture
    def h(self, harness: ContractHarness) -> ContractHarness:
        harness.reset()
        return harness

    # -- 1. declarations ----------------------------------------------------------------------

    def test_connector_names_its_service_and_provider(self) -> None:
        problems = connector_problems(self.harness_cls.connector_cls)
        assert not problems, "\n".join(problems)

    @_over("all")
    def test_action_declares_verb_models_scopes_risks_and_description(self, action: str) -> None:
        cls = self.harness_cls.connector_cls
        problems = action_problems(cls, cls.actions[action], self.harness_cls.unscoped_actions)
        assert not problems, "\n".join(problems)

    @pytest.mark.live
    def test_live_account_is_configured(self) -> None:
        if not self.harness_cls.live_env:
            pytest.skip(
                f"live contract run skipped: {self.harness_cls.__name__} has no live mode "
                "(it names no `live_env` credentials)"
            )
        missing = self.harness_cls.live_missing()
        if missing:
            pytest.skip(
                f"live contract run skipped: set {', '.join(missing)} to run the suite on a real account"
            )

    @_sandbox_only
    def test_every_action_has_an_example(self, h: ContractHarness) -> None:
        missing = sorted(set(h.connector_cls.actions) - set(h.examples()))
        assert not missing, f"{type(h).__name__}.examples() has no example for {missing}"

    # -- 2. scopes ----------------------------------------------------------------------------

    @_over("scopes")
    @_sandbox_only
    def test_missing_scope_is_refused_before_sending(
        self, h: ContractHarness, action: str, scope: str
    ) -> None:
        _guarded(h, lambda: checks.check_missing_scope_refused_before_sending(h, action, scope))

    @_over("scopes")
    @_sandbox_only
    def test_provider_refuses_without_each_declared_scope(
        self, h: ContractHarness, action: str, scope: str
    ) -> None:
        _guarded(h, lambda: checks.check_provider_needs_scope(h, action, scope))

    @_over("all")
    @_sandbox_only
    def test_declared_scopes_are_sufficient(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_declared_scopes_suffice(h, action))

    @_over("discovery")
    def test_declared_scopes_are_sufficient_and_minimal_per_the_api_description(self, action: str) -> None:
        problems = action_scope_problems(self.harness_cls, action) or []
        assert not problems, "\n".join(problems)

    # -- 3. reads -----------------------------------------------------------------------------

    @_over("read")
    def test_read_results_validate_against_the_declared_model(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_read_results_validate(h, action))

    @_over("paginated")
    def test_pagination_reaches_the_end_with_unique_ids(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_pagination_reaches_the_end(h, action))

    @_over("read")
    def test_repeated_read_is_identical(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_repeated_read_is_identical(h, action))

    # -- 4. drafts and writes -----------------------------------------------------------------

    @_over("draft")
    def test_draft_has_no_visible_side_effect(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_draft_is_invisible(h, action))

    @_over("draft")
    def test_draft_leaves_nothing_another_user_can_see(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_draft_shows_nothing_to_others(h, action))

    @_over("commits")
    def test_commit_changes_the_service_exactly_once(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_commits_exactly_once(h, action, "none"))

    @_over("commits")
    @_sandbox_only
    def test_commit_is_exactly_once_after_a_5xx(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_commits_exactly_once(h, action, "5xx"))

    @_over("commits")
    @_sandbox_only
    def test_commit_is_exactly_once_when_the_connection_drops_before_commit(
        self, h: ContractHarness, action: str
    ) -> None:
        _guarded(h, lambda: checks.check_commits_exactly_once(h, action, "drop-before-commit"))

    @_over("commits")
    @_sandbox_only
    def test_commit_is_exactly_once_when_the_response_is_lost_after_commit(
        self, h: ContractHarness, action: str
    ) -> None:
        _guarded(h, lambda: checks.check_commits_exactly_once(h, action, "drop-after-commit"))

    @_over("commits")
    @_sandbox_only
    def test_a_later_caller_finds_a_commit_whose_answer_was_lost(
        self, h: ContractHarness, action: str
    ) -> None:
        _guarded(h, lambda: checks.check_lost_answer_is_found_by_a_later_caller(h, action))

    # -- 5. validation ------------------------------------------------------------------------

    @_over("all")
    def test_invalid_input_fails_before_any_request(self, h: ContractHarness, action: str) -> None:
        _guarded(h, lambda: checks.check_invalid_input_sends_nothing(h, action))

    # -- 6, 7. tokens and rate limits ----------------------------------------------------------

    @pytest.mark.parametrize("verb", ["read", "write"])
    @_sandbox_only
    def test_expired_token_refreshes_once_and_succeeds(self, h: ContractHarness, verb: str) -> None:
        _guarded(h, lambda: checks.check_expired_token_refreshes_once(h, verb))

    @_sandbox_only
    def test_revoked_token_gives_auth_required(self, h: ContractHarness) -> None:
        _guarded(h, lambda: checks.check_revoked_token_needs_reconnect(h))

    @_sandbox_only
    def test_rate_limit_retry_after_is_honoured(self, h: ContractHarness) -> None:
        _guarded(h, lambda: checks.check_retry_after_is_honoured(h))

    # -- 8, 9. secrets and fidelity -----------------------------------------------------------

    @_sandbox_only
    def test_secret_canary_never_leaks(self, h: ContractHarness, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        _guarded(h, lambda: canary.check_canary_never_leaks(h, lambda: _log_text(caplog)))

    @_sandbox_only
    def test_secret_canary_reaches_the_service_only_as_the_credential_and_no_file(
        self, h: ContractHarness
    ) -> None:
        _guarded(h, lambda: canary_trails.check_canary_leaves_only_as_credentials(h))

    def test_input_the_service_refuses_gives_a_typed_error_and_changes_nothing(
        self, h: ContractHarness
    ) -> None:
        _guarded(h, lambda: refusals.check_refused_input_is_a_typed_error(h))

    @_sandbox_only
    def test_responses_match_the_official_api_description(self, h: ContractHarness) -> None:
        if h.fidelity_problems() is None:
            pytest.skip(f"{type(h).__name__} has no validator for its service's API description")
        _guarded(h, lambda: canary.check_responses_match_description(h))


def _kind_matches(kind: str, spec: Any) -> bool:
    if kind == "all":
        return True
    if kind == "paginated":
        return is_paginated(spec)
    if kind == "commits":
        return spec.verb in ("draft", "write")
    return bool(spec.verb == kind)


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(f"{record.name} {record.getMessage()} {record.args!r}")
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(repr(record.exc_info[1]))
    return caplog.text + "\n".join(lines)


def contract_suite(harness_cls: type[ContractHarness]) -> type:
    """The contract suite bound to `harness_cls`; assign it to a `Test*` name in a test module."""
    name = f"Test{harness_cls.connector_cls.__name__}Contract"
    return type(name, (ContractSuite,), {"harness_cls": harness_cls, "__test__": True})


__all__ = ["ContractSuite", "contract_suite"]
