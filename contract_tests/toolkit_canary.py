"""The canary through the agent layer: tool results and the audit log, when `charter.agents` is present."""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.connectors.base import Credentials
from charter.contract_tests.harness import ContractHarness

if TYPE_CHECKING:
    from charter.contract_tests.canary import Exposure

PERSON = "contract-person"


@dataclass(frozen=True)
class _Connection:
    id: str
    service: str
    account: str
    api_base: str
    scopes: frozenset[str]


class _HarnessVault:
    """The vault the Toolkit sees: one connection, whose credentials come from the harness."""

    def __init__(self, harness: ContractHarness, canary: str) -> None:
        self.harness, self.canary = harness, canary
        self.renew()
        self.connection = _Connection(
            "contract-conn",
            harness.connector_cls.name,
            self._credentials.account,
            harness.base_url or "",
            self._credentials.granted_scopes,
        )

    def renew(self) -> None:
        """New credentials (a sandbox reset forgets the tokens it issued)."""
        self._credentials = self.harness.credentials(canary=self.canary)

    def get(self, connection_id: str) -> _Connection:
        return self.connection

    def credentials(self, connection_id: str) -> Credentials:
        return self._credentials


def toolkit_exposure(harness: ContractHarness, exposure: Exposure, canary: str) -> bool:
    """Run every example as a tool call (approving what pauses); False when there is no agent layer."""
    if importlib.util.find_spec("charter.agents.toolkit") is None:
        return False
    from charter.agents import ApprovalStore, Toolkit
    from charter.auth.grants import GrantAuthority
    from charter.auth.home import CharterHome
    from charter.auth.vocabulary import Vocabulary

    cls = harness.connector_cls
    with tempfile.TemporaryDirectory() as tmp:
        home = CharterHome(Path(tmp))
        vault = _HarnessVault(harness, canary)
        destructive = [s.tool_name(cls.name) for s in cls.actions.values() if "destructive" in s.risks]
        # The connector under test may not be installed by entry point: its own declarations name the grant.
        vocabulary = Vocabulary.of([cls], lambda _: cls.name)
        grant = GrantAuthority(home, vocabulary=vocabulary).issue(
            PERSON,
            "contract-suite",
            [vault.connection.id],
            ["read", "draft", "write"],
            destructive=destructive,
        )
        approvals = ApprovalStore(home)

        def call(tool: str, args: Mapping[str, Any], where: str) -> str:
            tools = Toolkit(grant.token, home=home, vault=vault, connectors={cls.name: cls})
            result = tools.call(tool, dict(args))
            exposure.add(f"{tool} ({where} tool output)", json.dumps(result.to_dict()))
            if result.status == "approval_required" and result.approval is not None:
                approvals.approve(result.approval.approval_id, by=PERSON)
                resumed = tools.resume(result.approval.approval_id)
                exposure.add(f"{tool} (resumed tool output)", json.dumps(resumed.to_dict()))
                return resumed.status
            return result.status

        statuses = _run_examples(harness, vault, call)
        audit = home.audit_file.read_text() if home.audit_file.exists() else ""
        exposure.add("audit log", audit)
    assert "ok" in statuses, "no example succeeded through the Toolkit, so the canary run proves nothing"
    assert audit.strip(), "the Toolkit wrote no audit entries, so the canary run proves nothing"
    return True


def _run_examples(
    harness: ContractHarness, vault: _HarnessVault, call: Callable[[str, Mapping[str, Any], str], str]
) -> list[str]:
    """Each example, its invalid variants, and a call on revoked tokens; the statuses seen."""
    name = harness.connector_cls.name
    statuses = []
    for action, example in harness.examples().items():
        harness.reset()
        vault.renew()
        statuses.append(call(f"{name}_{action}", example.args, "valid"))
        statuses += [call(f"{name}_{action}", args, "invalid") for args in example.invalid]
    harness.revoke_tokens()
    action, example = next(iter(harness.examples().items()))
    statuses.append(call(f"{name}_{action}", example.args, "revoked"))
    return statuses


__all__ = ["toolkit_exposure"]
