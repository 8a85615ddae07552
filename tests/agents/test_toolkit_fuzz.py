"""Every tool of every connector, fuzzed from its JSON Schema through the real connector and sandbox.

For each tool the Toolkit lists, hypothesis sends arguments that fit the schema, valid examples
with fields broken, objects of the right names holding anything, and input no schema describes
(nesting past the stack, cycles, bytes, NaN, lone surrogates, megabytes, JSON text). Whatever it
sends: no exception escapes `Toolkit.call`, the result is typed (a known error code, never the
catch-all), its JSON encodes, and the call leaves exactly one audit entry. The figure (untyped
results per fuzzed call) is printed at the end of every run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schema_values import Sent, fitting, hostile, hostile_names, misfit, mutated, nested, sent

from charter.agents import AuditLog, Toolkit, ToolResult
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.connectors.base import Credentials
from charter.contract_tests.harness import ContractHarness
from charter.contract_tests.selection import harness_classes
from charter.schemas import ERRORS_BY_CODE

if TYPE_CHECKING:
    from conftest import FuzzTally

HARNESSES = harness_classes()
# Bounded for CI (the whole module runs in about ten seconds); CHARTER_FUZZ_EXAMPLES=500 digs deeper,
# with fresh random examples each run instead of the fixed ones.
DEEPER = int(os.environ.get("CHARTER_FUZZ_EXAMPLES", "0"))
EXAMPLES_PER_TOOL = DEEPER or 12
NAMES_PER_SERVICE = DEEPER or 40
FUZZ = settings(
    max_examples=EXAMPLES_PER_TOOL,
    deadline=None,
    database=None,
    derandomize=not DEEPER,
    suppress_health_check=list(HealthCheck),
)


def _tool_names(harness: type[ContractHarness]) -> list[str]:
    cls = harness.connector_cls
    names = [spec.tool_name(cls.name) for spec in cls.actions.values()]
    drafts = any(spec.verb == "draft" for spec in cls.actions.values())
    return names + ([f"{cls.name}_commit_draft"] if drafts else [])


TOOLS = [(service, tool) for service, harness in HARNESSES.items() for tool in _tool_names(harness)]
# The connectors Charter ships: each must be fuzzed, whatever else is installed beside them.
BUILT_IN = ("github", "gmail", "calendar", "sharepoint", "notion")
SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


@dataclass(frozen=True)
class _Connection:
    id: str
    service: str
    account: str
    api_base: str
    scopes: frozenset[str]


class _HarnessVault:
    """The vault the Toolkit sees: one connection of the harness, every scope its connector declares."""

    def __init__(self, harness: ContractHarness) -> None:
        self._credentials = harness.credentials()
        self.connection = _Connection(
            f"{harness.connector_cls.name}-fuzz",
            harness.connector_cls.name,
            self._credentials.account,
            harness.base_url or "",
            self._credentials.granted_scopes,
        )

    def get(self, connection_id: str) -> _Connection:
        return self.connection

    def credentials(self, connection_id: str) -> Credentials:
        return self._credentials


class Rig:
    """One connector's harness and sandbox, a grant for every one of its tools, and the audit log."""

    def __init__(self, harness: ContractHarness, home: CharterHome, tally: FuzzTally) -> None:
        self.harness, self.tally = harness, tally
        cls = harness.connector_cls
        vault = _HarnessVault(harness)
        destructive = [s.tool_name(cls.name) for s in cls.actions.values() if "destructive" in s.risks]
        self.audit = AuditLog(home)
        grant = GrantAuthority(home, audit=self.audit).issue(
            "fuzz-person",
            "fuzz-agent",
            [vault.connection.id],
            ["read", "draft", "write"],
            destructive=destructive,
        )
        self.kit = Toolkit(grant.token, home=home, vault=vault, audit=self.audit, connectors={cls.name: cls})
        self.tools = {t.name: t for t in self.kit.tools()}
        self.examples = {f"{cls.name}_{a}": e.args for a, e in harness.examples().items()}

    def check(self, name: object, args: object) -> None:
        """One call; fails (and counts) unless it ends typed, encodable, with exactly one audit entry."""
        name, args = sent(name), sent(args)
        before = self._seq()
        self.tally.calls += 1
        try:
            result = self.kit.call(name, args)  # type: ignore[arg-type]
        except Exception as exc:  # what escapes is exactly the defect this test counts
            self.tally.untyped += 1
            raise AssertionError(f"{type(exc).__name__} escaped Toolkit.call({name!r:.60}, …)") from exc
        problem = _untyped(result)
        if problem is not None:
            self.tally.untyped += 1
            raise AssertionError(f"untyped result for {name!r:.60}: {problem}")
        entries = self.audit.tail(2)
        if self._seq() != before + 1:
            self.tally.unaudited += 1
            raise AssertionError(f"{self._seq() - before} audit entries for one call of {name!r:.60}")
        assert entries[-1].action == (result.tool or "resume")
        assert entries[-1].error_code == (result.error or {}).get("error")

    def _seq(self) -> int:
        last = self.audit.tail(1)
        return last[0].seq if last else 0


def _untyped(result: object) -> str | None:
    if not isinstance(result, ToolResult):
        return f"not a ToolResult but {type(result).__name__}"
    try:
        json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
    except Exception as exc:
        return f"the result does not encode as JSON text ({type(exc).__name__})"
    if result.status != "error":
        return None
    error: Mapping[str, Any] = result.error or {}
    if error.get("error") not in ERRORS_BY_CODE or error.get("error") == "charter_error":
        return f"error code {error.get('error')!r} is not a stable Charter code"
    if (error.get("details") or {}).get("reason") == "unexpected":
        return f"the catch-all answered: {error.get('message')}"
    if not isinstance(error.get("message"), str) or not error["message"]:
        return "the error says nothing"
    return None


@pytest.fixture(scope="module")
def rigs(tmp_path_factory: pytest.TempPathFactory, fuzz_tally: FuzzTally) -> Iterator[dict[str, Rig]]:
    """A rig per registered connector, started on first use and stopped with the module."""
    harnesses: list[ContractHarness] = []

    class _Rigs(dict[str, Rig]):
        def __missing__(self, service: str) -> Rig:
            harness = HARNESSES[service]()
            harness.start()
            harnesses.append(harness)
            home = CharterHome(Path(tmp_path_factory.mktemp(f"fuzz-{service}")))
            self[service] = Rig(harness, home, fuzz_tally)
            return self[service]

    made = _Rigs()
    yield made
    for harness in harnesses:
        harness.stop()
    for rig in made.values():
        report = rig.audit.verify()
        assert report.ok, report.problem


def test_every_connector_is_fuzzed() -> None:
    assert set(BUILT_IN) <= set(HARNESSES)
    for service in BUILT_IN:
        assert set(_tool_names(HARNESSES[service])) <= {tool for _, tool in TOOLS}


def test_the_documented_tool_count_is_the_fuzzed_one() -> None:
    built_in = sum(len(_tool_names(HARNESSES[service])) for service in BUILT_IN)
    stated = re.search(r": ([\d,]+) tools of the five connectors", SECURITY_DOC.read_text())
    assert stated is not None, "docs/security.md no longer states how many tools are fuzzed"
    assert int(stated.group(1).replace(",", "")) == built_in


@pytest.mark.parametrize(("service", "tool"), TOOLS, ids=[t for _, t in TOOLS])
def test_any_arguments_end_in_a_typed_result_and_one_audit_entry(
    rigs: dict[str, Rig], service: str, tool: str
) -> None:
    rig = rigs[service]
    assert tool in rig.tools, f"{tool} is not listed for a grant of every verb"
    schema = rig.tools[tool].input_schema
    valid = rig.examples.get(tool, {})

    @FUZZ
    @given(
        args=st.one_of(
            fitting(schema), st.just(dict(valid)), mutated(schema, valid), misfit(schema), hostile(schema)
        )
    )
    @example(args=Sent(nested(1000)))
    @example(args=Sent([1, 2]))
    def call(args: object) -> None:
        rig.check(tool, args)

    call()


@pytest.mark.parametrize("service", sorted(HARNESSES))
def test_any_tool_name_ends_in_a_typed_result_and_one_audit_entry(rigs: dict[str, Rig], service: str) -> None:
    rig = rigs[service]
    some_tool = sorted(rig.tools)[0]

    args = st.none() | st.just({}) | st.just(rig.examples.get(some_tool, {}))

    @settings(FUZZ, max_examples=NAMES_PER_SERVICE)
    @given(name=hostile_names(some_tool), args=args)
    @example(name=Sent("\udc80"), args={})
    def call(name: object, args: object) -> None:
        rig.check(name, args)

    call()
