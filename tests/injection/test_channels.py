"""Laundered leaks through all five connectors: paused with a preview that shows them, and a control.

Every case reads a secret or private text through the Toolkit from a real sandbox, then writes it
out laundered (encoded, re-spaced, invisible, look-alike letters, a beacon link, a key from the
agent's environment) to another place of the same service, with a policy that lets that write run
without a person. The guards must pause each one, and the paused preview must show what would go
out (the laundered text exactly, made visible, and the host of any link). The control runs the
same calls with the guards off and finds the leak in the sandbox, so every case really attacks.
Benign writes (own words, a link already read) must go out unpaused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from channels import CHANNELS, LAUNDERINGS, Channel, seed, visible

from charter.agents import ApprovalStore, AuditLog, Toolkit
from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
from charter.agents.links import links
from charter.agents.preview import visible as shown
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import Decision, Policy
from charter.connectors.base import Connector
from charter.connectors.credentials import Credentials
from charter.contract_tests.harness import ContractHarness

PINNED = {"cases": 80, "paused": 80, "preview_shows_harm": 80, "control_leaked": 80, "benign_done": 10}
CASES = [(c.service, name) for c in CHANNELS for name in LAUNDERINGS]
BENIGN = ("Thanks, I will look at this tomorrow morning.", "Steps are at https://docs.acme.com/setup")
TALLY: dict[str, int] = {}


@dataclass(frozen=True)
class _Connection:
    id: str
    service: str
    account: str
    api_base: str
    scopes: frozenset[str]


class _HarnessVault:
    """The Toolkit's view of a vault, over the harnesses' sandbox credentials."""

    def __init__(self) -> None:
        self.connections: dict[str, tuple[_Connection, Credentials]] = {}

    def add(self, service: str, harness: ContractHarness) -> str:
        credentials = harness.credentials()
        conn = _Connection(
            f"{service}-lab", service, credentials.account, harness.base_url, credentials.granted_scopes
        )
        self.connections[conn.id] = (conn, credentials)
        return conn.id

    def get(self, connection_id: str) -> _Connection:
        return self.connections[connection_id][0]

    def credentials(self, connection_id: str) -> Credentials:
        return self.connections[connection_id][1]


class _NoGuards:
    """The control: taint, the secret scan and the link check switched off."""

    def record_read(self, quotes: object, grant_id: str | None = None) -> None:
        return None

    def check(self, *args: object) -> Decision:
        return Decision("allow", ("guards off (control)",))


def _one_instance(cls: type[Connector]) -> type[Connector]:
    """`cls`, made once: every case's Toolkit gets the same connector (a Google client loads its CA
    bundle when it is made, which would otherwise dominate the set's run time)."""

    class Shared(cls):  # type: ignore[valid-type,misc]
        made: Connector | None = None

        def __new__(kind, *args: Any, **kwargs: Any) -> Connector:
            if kind.made is None:
                kind.made = super().__new__(kind)
            return kind.made

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if not getattr(self, "_made", False):
                super().__init__(*args, **kwargs)
                self._made = True

    return Shared


@dataclass
class _Lab:
    """One service's sandbox, a home and a connection to it; a new grant (so new taint) per case."""

    channel: Channel
    harness: ContractHarness
    home: CharterHome
    vault: _HarnessVault
    connection: str
    cases: int = 0
    # The home's stores, made once: each case only issues a new grant (a grant's taint is its own).
    parts: dict[str, Any] = field(default_factory=dict)
    shared: type[Connector] = Connector
    control: Toolkit | None = None

    def __post_init__(self) -> None:
        self.shared = _one_instance(self.channel.harness.connector_cls)
        audit = AuditLog(self.home)
        self.parts = {
            "audit": audit,
            "authority": GrantAuthority(self.home, audit=audit),
            "approvals": ApprovalStore(self.home, audit=audit),
            "drafts": SQLDraftStore(self.home),
            "ledger": SQLWriteLedger(self.home),
        }

    def kit(self, guards: bool) -> Toolkit:
        write = f"{self.channel.service}_{self.channel.write('', 0)[0]}"
        # The bulk rate is measured in scenarios_reach: here only the checks of what a write carries stand.
        rules = {"rules": [{"outcome": "allow", "actions": [write]}], "bulk": {"writes": 1000}}
        policy = Policy.from_dict(rules)
        grant = self.parts["authority"].issue("mona", "lab-bot", (self.connection,), ("read", "write"))
        kit = Toolkit(
            grant.token,
            home=self.home,
            vault=self.vault,
            policy=policy,
            connectors={self.channel.service: self.shared},
            **self.parts,
        )
        if not guards:
            kit._guards = _NoGuards()  # type: ignore[assignment]
        return kit

    def attack(self, read: str, out: str, guards: bool) -> Any:
        """Seed `read`, read it through a fresh grant, then write `out`; the write's result."""
        self.cases += 1
        n, service = self.cases, self.channel.service
        action, args = self.channel.seed(read, n)
        ident = seed(self.harness.connector(self.harness.credentials()), action, args)
        # The control needs no taint of its own: one Toolkit with the guards off serves every case.
        if not guards:
            self.control = self.control or self.kit(False)
        kit = self.kit(True) if guards else self.control
        tool, read_args = self.channel.read(args["path"] if service == "sharepoint" else ident)
        got = kit.call(f"{service}_{tool}", read_args)
        assert got.ok, got.error
        action, write_args = self.channel.write(out, n)
        return kit.call(f"{service}_{action}", write_args)


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, _Lab]]:
    started: dict[str, _Lab] = {}
    try:
        for channel in CHANNELS:
            harness = channel.harness()
            harness.start()
            vault = _HarnessVault()
            home = CharterHome(tmp_path_factory.mktemp(f"channels-{channel.service}"))
            started[channel.service] = _Lab(
                channel, harness, home, vault, vault.add(channel.service, harness)
            )
        yield started
    finally:
        for lab in started.values():
            lab.harness.stop()


def _in_sandbox(harness: ContractHarness, out: str) -> bool:
    """Whether the written text is there for another user of the sandbox to read."""
    state = visible(harness)
    return out in state or json.dumps(out)[1:-1] in state


def _shows_harm(preview: str, out: str) -> bool:
    """Whether the person sees the laundered text as it goes out, and every host it links to."""
    as_json = json.dumps(out, ensure_ascii=False)[1:-1]
    hosts = all(link.host in preview for link in links(out))
    return shown(as_json)[0] in preview and hosts


@pytest.mark.parametrize(("service", "name"), CASES)
def test_a_laundered_leak_pauses_with_a_preview_that_shows_it(
    labs: dict[str, _Lab], service: str, name: str
) -> None:
    lab = labs[service]
    read, out = LAUNDERINGS[name]()
    TALLY["cases"] = TALLY.get("cases", 0) + 1
    paused = lab.attack(read, out, guards=True)
    assert paused.status == "approval_required", (paused.status, paused.error)
    assert paused.approval is not None
    TALLY["paused"] = TALLY.get("paused", 0) + 1
    assert _shows_harm(paused.approval.preview, out), paused.approval.preview
    TALLY["preview_shows_harm"] = TALLY.get("preview_shows_harm", 0) + 1
    # The control: with the guards off, the same calls leak into the sandbox.
    leaked = lab.attack(read, out, guards=False)
    assert leaked.ok, (leaked.error, leaked.approval)
    assert _in_sandbox(lab.harness, out), f"the control's write is not visible in the {service} sandbox"
    TALLY["control_leaked"] = TALLY.get("control_leaked", 0) + 1


@pytest.mark.parametrize("service", [c.service for c in CHANNELS])
@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_writes_go_out_without_a_pause(labs: dict[str, _Lab], service: str, text: str) -> None:
    result = labs[service].attack("Steps: see https://docs.acme.com/setup today.", text, guards=True)
    assert result.ok, (result.status, result.approval and result.approval.reasons)
    TALLY["benign_done"] = TALLY.get("benign_done", 0) + 1


def test_the_channel_set_is_pinned() -> None:
    assert len(CASES) == PINNED["cases"]
    assert {c.service for c in CHANNELS} == {"github", "gmail", "calendar", "sharepoint", "notion"}
    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    rows = {
        "laundered leaks attempted (16 ways x 5 connectors)": str(PINNED["cases"]),
        "leaks without approval": str(PINNED["cases"] - PINNED["paused"]),
        "pauses whose preview does not show the harm (the laundered text as sent, every linked host)": str(
            PINNED["paused"] - PINNED["preview_shows_harm"]
        ),
        "leaks with the checks off (control)": f"{PINNED['control_leaked']} / {PINNED['cases']}",
        "benign writes done unpaused (own words; a link already read)": f"{PINNED['benign_done']} / 10",
    }
    for label, figure in rows.items():
        assert f"| {label} | {figure} |" in doc, f"docs/security.md should say | {label} | {figure} |"
    if TALLY.get("cases") == PINNED["cases"] and "benign_done" in TALLY:
        # The whole set ran (not a -k selection): its figures are exactly the pinned ones.
        assert {k: TALLY.get(k, 0) for k in PINNED} == PINNED, TALLY


def summary() -> list[str]:
    """The channel set's figures, for the end of the test run."""
    if not TALLY:
        return []
    cases, paused = TALLY.get("cases", 0), TALLY.get("paused", 0)
    return [
        f"channels: {cases} laundered leaks through 5 connectors, {cases - paused} without approval, "
        f"{paused - TALLY.get('preview_shows_harm', 0)} paused with a preview that hides the harm, "
        f"{TALLY.get('control_leaked', 0)} leaked with the guards off (control), "
        f"benign writes done {TALLY.get('benign_done', 0)}/{2 * len(CHANNELS)}",
    ]
