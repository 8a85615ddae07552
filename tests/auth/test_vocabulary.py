"""A typo never widens a grant: unknown actions and constraint keys are refused with the valid ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import check_constraints
from charter.auth.vocabulary import CONNECTOR_GROUP, Vocabulary
from charter.connectors.base import constrained_fields
from charter.connectors.notion.models import GetPage
from charter.connectors.registry import GROUP, connectors
from charter.schemas import ValidationError

SERVICE_OF = {
    "github-mona": "github",
    "gmail-mona": "gmail",
    "calendar-mona": "calendar",
    "notion-mona": "notion",
}


@pytest.fixture
def authority(home: CharterHome) -> GrantAuthority:
    vocabulary = Vocabulary.installed(SERVICE_OF.get)
    return GrantAuthority(home, vocabulary=vocabulary)


def _refused(authority: GrantAuthority, connection: str = "github-mona", **kwargs: object) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        authority.issue("mona", "triage-bot", (connection,), ("read",), **kwargs)  # type: ignore[arg-type]
    assert exc.value.code == "validation_error"
    assert "Nothing was issued" in exc.value.message
    assert authority.list() == []
    return exc.value


def test_the_vocabulary_is_the_connectors_own_declarations() -> None:
    # Derived, never a hand list: every constraint a request field declares, every action as a tool.
    vocabulary = Vocabulary.installed()
    for name, cls in connectors().items():
        terms = vocabulary.services[name]
        declared = {c for spec in cls.actions.values() for c in constrained_fields(spec.request).values()}
        assert terms.constraints == declared
        assert {f"{name}_{a}" for a in cls.actions} <= terms.actions
    assert CONNECTOR_GROUP == GROUP


@pytest.mark.parametrize(
    "key",
    [
        "repo", "Repos", "REPOS", " repos", "repos ", "re pos", "r\u0435pos", "\uff52epos", "repos\u200b",
        "repos\u00a0", "calendar", "",
    ],
)  # fmt: skip
def test_a_constraint_key_nobody_declares_is_refused_with_the_valid_ones(
    authority: GrantAuthority, key: str
) -> None:
    error = _refused(authority, constraints={key: ("acme/web",)})
    assert "valid constraints: repos" in error.message
    assert error.details["valid"] == ["repos"]
    assert error.details["given"] == key


def test_a_look_alike_key_gets_a_hint_of_the_key_meant(authority: GrantAuthority) -> None:
    for key in ("Repos", " repos", "\uff52epos", "repos\u200b"):
        assert (
            "did you mean 'repos'? they differ in case"
            in _refused(authority, constraints={key: "a/b"}).message
        )
    assert "did you mean 'repos'?" in _refused(authority, constraints={"repo": "a/b"}).message


def test_a_key_of_another_service_is_refused_for_this_grants_connections(authority: GrantAuthority) -> None:
    error = _refused(authority, "gmail-mona", constraints={"repos": ("acme/web",)})
    assert "for a grant on gmail" in error.message
    assert "valid constraints: none" in error.message
    with pytest.raises(ValidationError, match="valid constraints: calendars, repos"):
        authority.issue(
            "mona", "bot", ("github-mona", "calendar-mona"), ("read",), constraints={"labels": "x"}
        )


@pytest.mark.parametrize(
    "action", ["github_nuke", "GitHub_list_issues", "github_list_issue", "gmail_*", "x*"]
)
def test_an_unknown_action_is_refused_with_the_valid_ones(authority: GrantAuthority, action: str) -> None:
    error = _refused(authority, actions=(action,))
    assert "github_list_issues" in error.details["valid"]
    assert all(name.startswith("github_") for name in error.details["valid"])


def test_destructive_names_must_be_destructive_actions_of_the_grant(authority: GrantAuthority) -> None:
    assert _refused(authority, destructive=("github_merge_pr",)).details["valid"] == [
        "github_merge_pull_request"
    ]
    _refused(authority, destructive=("github_comment",))  # real, but not destructive
    _refused(authority, destructive=("gmail_trash_message",))  # destructive, but not this grant's service


def test_the_names_the_connectors_declare_are_accepted(authority: GrantAuthority) -> None:
    # Control: what the refusals above refuse is the name, not the shape of the call.
    issued = authority.issue(
        "mona", "triage-bot", ("github-mona",), ("read", "write"),
        actions=("github_list_*", "github_comment", "github_commit_draft", "*"),
        destructive=("github_merge_pull_request",), constraints={"repos": ("acme/web",)},
    )  # fmt: skip
    assert issued.claims.constraints == {"repos": ("acme/web",)}


def test_attenuation_checks_what_the_child_names_anew(authority: GrantAuthority) -> None:
    parent = authority.issue(
        "mona", "triage-bot", ("github-mona",), ("read",), constraints={"repos": "acme/*"}
    )
    with pytest.raises(ValidationError, match="unknown constraint 'repo'"):
        authority.attenuate(parent.token, constraints={"repo": ("acme/web",)})
    with pytest.raises(ValidationError, match="unknown action 'github_nuke'"):
        authority.attenuate(parent.token, actions=("github_nuke",))
    assert authority.attenuate(parent.token, constraints={"repos": ("acme/web",)}).claims.constraints == {
        "repos": ("acme/web",)
    }


def test_a_child_that_narrows_its_connections_keeps_its_parents_action_patterns(
    authority: GrantAuthority,
) -> None:
    # What a child inherits was checked when its parent was issued: only what it names anew is.
    parent = authority.issue(
        "mona", "triage-bot", ("github-mona", "gmail-mona"), ("read",),
        actions=("github_*", "gmail_*"), ttl=timedelta(hours=1),
    )  # fmt: skip
    child = authority.attenuate(parent.token, connections=("github-mona",))
    assert child.claims.connections == ("github-mona",)
    assert child.claims.actions == ("github_*", "gmail_*")
    # The control: a child naming actions of its own has them checked against its connections.
    with pytest.raises(ValidationError, match="gmail_"):
        authority.attenuate(parent.token, connections=("github-mona",), actions=("gmail_*",))


def test_the_default_authority_reads_each_connections_service_from_the_vault(home: CharterHome) -> None:
    from charter.auth.vault_table import connections_table
    from charter.auth.vault_table import metadata as vault_metadata

    vault_metadata.create_all(home.engine)
    with home.engine.begin() as conn:
        conn.execute(
            connections_table.insert().values(
                id="gmail-mona-1f0c", service="gmail", provider="google", account="mona@acme.com",
                scopes="[]", api_base="", oauth_base="", client_id="c", status="active", created_at=0.0,
                token_type="Bearer", version=1,
            )
        )  # fmt: skip
    authority = GrantAuthority(home)
    with pytest.raises(ValidationError, match="for a grant on gmail"):
        authority.issue("mona", "bot", ("gmail-mona-1f0c",), ("read",), constraints={"repos": "acme/web"})
    assert authority.issue("mona", "bot", ("gmail-mona-1f0c",), ("read",), actions=("gmail_*",)).claims


@settings(max_examples=200, deadline=None)
@given(key=st.text(max_size=12), action=st.text(max_size=24))
def test_only_declared_names_pass(key: str, action: str) -> None:
    # Any key or action the connectors do not declare is refused, whatever characters it holds.
    vocabulary = Vocabulary.installed(SERVICE_OF.get)
    terms = vocabulary.terms_for(["github-mona"])
    declared = {k for t in terms for k in t.constraints}
    tools = {a for t in terms for a in t.actions}
    if key not in declared:
        with pytest.raises(ValidationError):
            vocabulary.check(["github-mona"], constraints=[key])
    if action not in tools and not action.endswith("*"):
        with pytest.raises(ValidationError):
            vocabulary.check(["github-mona"], actions=[action])


PAGE = "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"


@pytest.mark.parametrize(
    "spelled",
    [
        PAGE,
        PAGE.replace("-", ""),
        PAGE.upper(),
        f"https://www.notion.so/acme/Team-Home-{PAGE.replace('-', '')}?pvs=4",
        f"  https://acme.notion.site/{PAGE.replace('-', '')}#heading  ",
    ],
)
def test_a_constraint_value_is_kept_as_the_requests_spell_it(authority: GrantAuthority, spelled: str) -> None:
    # A Notion page named by its URL or compact id must match the dashed id a call carries;
    # kept as typed, it matched nothing and refused every call of the grant.
    pages = {"pages": [spelled]}
    issued = authority.issue("mona", "notes-bot", ("notion-mona",), ("read",), constraints=pages)
    assert issued.claims.constraints == {"pages": (PAGE,)}
    request = GetPage(page_id=PAGE, within=PAGE.replace("-", ""))
    assert check_constraints(issued.claims, request, constrained_fields(GetPage)).outcome == "allow"
    child = authority.attenuate(issued.token, constraints=pages)
    assert child.claims.constraints == {"pages": (PAGE,)}


def test_a_value_the_requests_do_not_take_stays_as_written(authority: GrantAuthority) -> None:
    # Patterns and values of fields without a spelling of their own are never rewritten.
    issued = authority.issue(
        "mona", "triage-bot", ("github-mona",), ("read",), constraints={"repos": ["acme/*", "Acme/Web"]}
    )
    assert issued.claims.constraints == {"repos": ("acme/*", "Acme/Web")}
    # Control: another page's URL is spelled as that page, so the grant stays narrow.
    other = "0f0e0d0c-0b0a-4909-8807-060504030201"
    grant = authority.issue(
        "mona",
        "notes-bot",
        ("notion-mona",),
        ("read",),
        constraints={"pages": [f"https://notion.so/x-{other}"]},
    )
    request = GetPage(page_id=PAGE, within=PAGE)
    assert check_constraints(grant.claims, request, constrained_fields(GetPage)).outcome == "deny"
