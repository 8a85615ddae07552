"""The rules people write, end to end: policy conditions through the Toolkit, real connectors, sandboxes.

"never delete what the connector holds", "never send to more than five people", "nothing outside
working hours", "no file over 10 MB leaves the drive", "this bot may comment without asking, but only
on issues labelled triage". Each test checks what the sandbox holds afterwards, with a control call
that the same policy lets through, so the refusal is the rule's doing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from charter.agents import Toolkit
from charter.auth.conditions import PolicyInvalid
from charter.auth.connect_microsoft import connect_microsoft
from charter.auth.consent.tokens import TokenSet
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import Policy
from charter.auth.vault import Vault
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE as GMAIL_SCOPES
from charter.sandboxes.github import DEFAULT_CLIENT_ID as GITHUB_CLIENT_ID
from charter.sandboxes.github import DEFAULT_CLIENT_SECRET as GITHUB_CLIENT_SECRET
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import DEFAULT_CLIENT_ID as GOOGLE_CLIENT_ID
from charter.sandboxes.google import DEFAULT_CLIENT_SECRET as GOOGLE_CLIENT_SECRET
from charter.sandboxes.google import GoogleSandbox
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID as GRAPH_CLIENT_ID
from charter.sandboxes.microsoft import OWNER as GRAPH_OWNER
from charter.sandboxes.microsoft import GraphSandbox

MONA = "mona@acme.com"
SITE = "contoso.sharepoint.com/sites/Finance"
WEDNESDAY_NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

MakeKit = Callable[..., Toolkit]


@pytest.fixture
def home(tmp_path: Path) -> CharterHome:
    return CharterHome(tmp_path / "home")


@pytest.fixture
def vault(home: CharterHome) -> Vault:
    return Vault(home, keys=KeySet.parse(generate_key(), source="test"))


def _github(vault: Vault, sb: GitHubSandbox) -> str:
    issued = sb.oauth.issue_token("mona", ["repo"])
    tokens = TokenSet(
        access_token=issued.access_token, refresh_token=issued.refresh_token, scopes=frozenset(issued.scopes)
    )
    return vault.add_connection(
        service="github", provider="github", account="mona", tokens=tokens, api_base=sb.url,
        oauth_base=sb.url, client_id=GITHUB_CLIENT_ID, client_secret=GITHUB_CLIENT_SECRET,
    ).id  # fmt: skip


def _gmail(vault: Vault, gsb: GoogleSandbox) -> str:
    access, refresh = gsb.oauth.issue_token(MONA, GMAIL_SCOPES)
    tokens = TokenSet(access_token=access, refresh_token=refresh, scopes=frozenset(GMAIL_SCOPES))
    return vault.add_connection(
        service="gmail", provider="google", account=MONA, tokens=tokens, api_base=gsb.url,
        oauth_base=gsb.url, client_id=GOOGLE_CLIENT_ID, client_secret=GOOGLE_CLIENT_SECRET,
    ).id  # fmt: skip


def _sharepoint(vault: Vault, graph: GraphSandbox) -> str:
    return connect_microsoft(
        vault, scopes=["Sites.ReadWrite.All", "Files.ReadWrite.All"], client_id=GRAPH_CLIENT_ID,
        authority=f"{graph.url}/organizations", api_base=graph.graph_base,
        open_browser=lambda url: httpx.get("http://" + url.removeprefix("https://"), follow_redirects=True),
    ).id  # fmt: skip


@pytest.fixture
def kit_for(home: CharterHome, vault: Vault) -> Callable[..., Toolkit]:
    def make(
        connection: str, rules: str | Policy, *, agent: str = "bot", destructive: tuple[str, ...] = (),
        at: datetime = WEDNESDAY_NOON,
    ) -> Toolkit:  # fmt: skip
        policy = rules if isinstance(rules, Policy) else Policy.from_yaml(rules)
        authority = GrantAuthority(home, clock=lambda: at)
        root, _, sub = agent.partition("/")
        verbs = ("read", "draft", "write")
        grant = authority.issue("mona", root, (connection,), verbs, destructive=destructive)
        if sub:
            grant = authority.attenuate(grant.token, agent=sub)
        return Toolkit(grant.token, home=home, vault=vault, policy=policy, clock=lambda: at)

    return make


def test_never_delete_what_the_connector_holds(kit_for: MakeKit, vault: Vault, gsb: GoogleSandbox) -> None:
    rules = (
        "rules:\n  - {outcome: deny, risks: [destructive], reason: nothing is deleted}\n"
        "  - {outcome: allow, actions: [gmail_modify_labels], reason: archiving is fine}\n"
    )
    # The grant names the destructive action, so only the rule stands between the agent and the trash.
    kit = kit_for(_gmail(vault, gsb), rules, destructive=("gmail_trash_message",))
    message = next(m for m in gsb.state.gmail.messages.values() if "TRASH" not in m.label_ids)
    trashed = kit.call("gmail_trash_message", {"message_id": message.id})
    assert trashed.error is not None
    assert trashed.error["error"] == "grant_denied"
    assert "nothing is deleted" in trashed.error["message"]
    assert "TRASH" not in gsb.state.gmail.messages[message.id].label_ids
    # Control: a label change (hides, not destructive), allowed by a rule, goes through.
    archived = kit.call("gmail_modify_labels", {"message_id": message.id, "remove": ["INBOX"]})
    assert archived.ok, archived.error
    assert "INBOX" not in gsb.state.gmail.messages[message.id].label_ids


def test_never_send_to_more_than_five_people(kit_for: MakeKit, vault: Vault, gsb: GoogleSandbox) -> None:
    rules = (
        "rules:\n"
        "  - {outcome: allow, actions: [gmail_send_draft], reason: mail inside acme.com goes out}\n"
        "  - outcome: deny\n"
        "    actions: [gmail_send_draft]\n"
        "    when: len(to) + len(cc) + len(bcc) > 5\n"
        "    reason: never send to more than five people\n"
    )
    kit = kit_for(_gmail(vault, gsb), rules)
    people = [f"p{n}@acme.com" for n in range(6)]
    six = kit.call(
        "gmail_send_draft",
        {"to": people[:4], "cc": people[4:5], "bcc": people[5:], "subject": "Hi", "body": "x"},
    )
    assert six.error is not None
    assert "never send to more than five people" in six.error["message"]
    assert gsb.state.gmail.sent == []
    five = kit.call("gmail_send_draft", {"to": people[:4], "bcc": people[4:5], "subject": "Hi", "body": "x"})
    assert five.ok, five.error
    assert [sorted(s.recipients) for s in gsb.state.gmail.sent] == [sorted(people[:5])]


def test_nothing_outside_working_hours(kit_for: MakeKit, vault: Vault, sb: GitHubSandbox) -> None:
    rules = (
        "rules:\n"
        "  - outcome: deny\n"
        "    verbs: [draft, write]\n"
        '    when: \'not hours("mon-fri 09:00-18:00", "Europe/Paris")\'\n'
        "    reason: nothing outside working hours\n"
    )
    connection = _github(vault, sb)
    before = len(sb.state.comments("acme/web", 3))
    args = {"repo": "acme/web", "number": 3, "body": "Looking into it."}
    saturday = kit_for(connection, rules, at=SATURDAY_NOON).call("github_draft_comment", args)
    assert saturday.error is not None
    assert "nothing outside working hours" in saturday.error["message"]
    # Reads are never touched by a rule on drafts and writes; on Wednesday the draft is made.
    assert (
        kit_for(connection, rules, at=SATURDAY_NOON)
        .call("github_get_issue", {"repo": "acme/web", "number": 3})
        .ok
    )
    wednesday = kit_for(connection, rules, at=WEDNESDAY_NOON).call("github_draft_comment", args)
    assert wednesday.ok, wednesday.error
    assert len(sb.state.comments("acme/web", 3)) == before


def test_no_file_over_ten_megabytes_leaves_the_drive(
    kit_for: MakeKit, vault: Vault, graph: GraphSandbox
) -> None:
    rules = (
        "rules:\n"
        "  - outcome: deny\n"
        "    actions: [sharepoint_download_file, sharepoint_create_sharing_link, sharepoint_invite]\n"
        "    when: item.size > 10MB\n"
        "    reason: no file over 10 MB leaves the drive\n"
    )
    finance = next(s for s in graph.state.sites.values() if s.path == "/sites/Finance")
    drive = graph.state.drives[finance.drive_ids[0]]
    reports = graph.state.by_path(drive, "Reports")
    assert reports is not None
    graph.state.add_item(drive, reports, "big.bin", b"x" * (10 * 1024 * 1024 + 1), GRAPH_OWNER)
    kit = kit_for(_sharepoint(vault, graph), rules)
    big = kit.call("sharepoint_download_file", {"site": SITE, "path": "Reports/big.bin", "length": 10})
    assert big.error is not None
    assert "no file over 10 MB" in big.error["message"]
    link = kit.call("sharepoint_create_sharing_link", {"site": SITE, "path": "Reports/big.bin"})
    assert link.error is not None
    assert link.error["error"] == "grant_denied"
    small = kit.call("sharepoint_download_file", {"site": SITE, "path": "Reports/Q1 summary.txt"})
    assert small.ok, small.error
    assert "Revenue grew 4%" in str(small.data)


def test_the_triage_bot_comments_without_asking_only_on_issues_labelled_triage(
    kit_for: MakeKit, vault: Vault, sb: GitHubSandbox
) -> None:
    kit = kit_for(_github(vault, sb), Policy.pack("triage-bot"), agent="triage-bot")
    triage_before, bug_before = len(sb.state.comments("acme/web", 5)), len(sb.state.comments("acme/web", 3))
    on_triage = kit.call("github_comment", {"repo": "acme/web", "number": 5, "body": "Thanks, triaged."})
    assert on_triage.ok, on_triage.error
    assert len(sb.state.comments("acme/web", 5)) == triage_before + 1
    on_bug = kit.call("github_comment", {"repo": "acme/web", "number": 3, "body": "Thanks, triaged."})
    assert on_bug.status == "approval_required"
    assert len(sb.state.comments("acme/web", 3)) == bug_before
    # A label look-alike does not pass: issue 11 is labelled `bug` only; add `Triage` and `triage-later`.
    sb.state.issue("acme/web", 11).labels.extend(["Triage", "triage-later"])
    assert (
        kit.call("github_comment", {"repo": "acme/web", "number": 11, "body": "x"}).status
        == "approval_required"
    )


def test_a_sub_agent_of_the_triage_bot_asks_first(kit_for: MakeKit, vault: Vault, sb: GitHubSandbox) -> None:
    kit = kit_for(_github(vault, sb), "pack: triage-bot\n", agent="triage-bot/helper")
    before = len(sb.state.comments("acme/web", 5))
    assert (
        kit.call("github_comment", {"repo": "acme/web", "number": 5, "body": "x"}).status
        == "approval_required"
    )
    assert len(sb.state.comments("acme/web", 5)) == before


def test_a_condition_on_a_field_the_action_lacks_stops_the_toolkit(
    kit_for: MakeKit, vault: Vault, sb: GitHubSandbox
) -> None:
    rules = (
        "rules:\n  - outcome: deny\n    actions: [github_comment]\n    when: 'issue.tags contains \"x\"'\n"
    )
    with pytest.raises(PolicyInvalid, match="no field `tags`"):
        kit_for(_github(vault, sb), rules)


def test_an_always_true_waiver_never_unpauses_a_write_quoting_what_the_session_read(
    kit_for: MakeKit, vault: Vault, sb: GitHubSandbox
) -> None:
    rules = (
        "rules:\n  - {outcome: allow, actions: ['*'], when: 'true'}\n"
        "  - {outcome: allow, actions: [github_comment], when: 'len(body) >= 0 or true'}\n"
    )
    kit = kit_for(_github(vault, sb), rules)
    sb.state.issue(
        "acme/web", 3
    ).body = "Uploading a zero byte file raises a server error from the upload endpoint every time."
    issue = kit.call("github_get_issue", {"repo": "acme/web", "number": 3})
    assert issue.ok, issue.error
    quoted = sb.state.issue("acme/web", 3).body or ""
    assert len(quoted.split()) >= 12
    before = len(sb.state.comments("acme/web", 1))
    leaked = kit.call("github_comment", {"repo": "acme/web", "number": 1, "body": f"FYI: {quoted}"})
    assert leaked.status == "approval_required"
    assert len(sb.state.comments("acme/web", 1)) == before
    # Control: the waiver does waive the external pause for text of the agent's own.
    own = kit.call("github_comment", {"repo": "acme/web", "number": 1, "body": "Confirmed on 2.4."})
    assert own.ok, own.error


def _issue_reads(sb: GitHubSandbox, number: int) -> int:
    path = f"/repos/acme/web/issues/{number}"
    return sum(1 for e in sb.requests.entries if e.method == "GET" and e.path.rstrip("/") == path)


def test_the_issue_is_read_for_policy_only_when_a_rule_reads_it(
    kit_for: MakeKit, vault: Vault, sb: GitHubSandbox
) -> None:
    connection = _github(vault, sb)
    # An allow, so the call runs without a pause (whose preview would read the issue to name it).
    unrelated = "rules:\n  - {outcome: allow, actions: [github_comment], when: 'len(body) < 5000'}\n"
    kit_for(connection, unrelated).call("github_comment", {"repo": "acme/web", "number": 7, "body": "x"})
    assert _issue_reads(sb, 7) == 0
    result = kit_for(connection, Policy.pack("triage-bot"), agent="triage-bot").call(
        "github_comment", {"repo": "acme/web", "number": 7, "body": "x"}
    )
    # Once for the rule; a pause reads it once more to name the issue in the preview.
    assert _issue_reads(sb, 7) == 1 + (result.status == "approval_required")


def test_an_always_true_allow_never_trashes_what_the_grant_does_not_name(
    kit_for: MakeKit, vault: Vault, gsb: GoogleSandbox
) -> None:
    rules = (
        "rules:\n  - {outcome: allow, actions: [gmail_trash_message], when: 'true or len(message_id) > 0'}\n"
    )
    connection = _gmail(vault, gsb)
    message = next(m for m in gsb.state.gmail.messages.values() if "TRASH" not in m.label_ids)
    refused = kit_for(connection, rules).call("gmail_trash_message", {"message_id": message.id})
    assert refused.error is not None
    assert refused.error["error"] == "grant_denied"
    assert "TRASH" not in gsb.state.gmail.messages[message.id].label_ids
    # Control: once the grant names it, the same rule does waive the approval and the message goes.
    named = kit_for(connection, rules, destructive=("gmail_trash_message",))
    assert named.call("gmail_trash_message", {"message_id": message.id}).ok
    assert "TRASH" in gsb.state.gmail.messages[message.id].label_ids
