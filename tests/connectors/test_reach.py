"""Every action of every registered connector declares whom it reaches; per call, the arguments decide."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.connectors.base import Connector, DraftPreview, action, reach_of_addresses, validate_request
from charter.connectors.github import GitHubConnector
from charter.connectors.gmail import GmailConnector
from charter.connectors.registry import connectors
from charter.connectors.sharepoint import SharePointConnector
from charter.contract_tests.declarations import reach_problems
from charter.schemas import Change, ConfigurationError


def _every_action() -> list[Any]:
    return [
        pytest.param(cls, spec, id=f"{name}.{spec.name}")
        for name, cls in sorted(connectors().items())
        for spec in cls.actions.values()
    ]


@pytest.mark.parametrize(("cls", "spec"), _every_action())
def test_every_draft_and_write_declares_its_reach_and_every_draft_reaches_only_the_person(
    cls: type[Connector], spec: Any
) -> None:
    assert reach_problems(spec) == [], f"{cls.__name__}.{spec.name}"


def test_the_walk_covers_all_five_services() -> None:
    assert {"github", "gmail", "calendar", "sharepoint", "notion"} <= set(connectors())


def test_a_draft_declared_to_reach_anyone_else_is_refused_when_the_class_is_made() -> None:
    class Post(Change):
        text: str

    with pytest.raises(ConfigurationError, match="an action others can see is a write"):

        class Publishing(Connector):
            name, provider = "publishing", "github"

            @action("draft", scopes=("repo",), commits="post", reaches="public")
            def draft_post(self, change: Post, attribution: object) -> DraftPreview:
                """Draft."""
                raise NotImplementedError

    assert reach_problems(GitHubConnector.actions["list_issues"]) == []


@given(
    inside=st.lists(st.sampled_from(["lee@acme.com", "Ana <ana@acme.com>", "MONA@acme.com"]), max_size=3),
    outside=st.lists(st.sampled_from(["x@acme.com.evil.example", "y@acme.co", "z@gmail.com"]), max_size=2),
)
def test_addresses_reach_the_domain_only_when_all_are_in_it(inside: list[str], outside: list[str]) -> None:
    reach = reach_of_addresses([*inside, *outside], "mona@acme.com")
    others = [a for a in inside if "mona@" not in a.lower()]
    assert reach == ("outsiders" if outside else "domain" if others else "person")


class Offline:
    """A connection whose arguments alone decide the reach: nothing is ever sent."""

    connection_id = "offline"
    granted_scopes: frozenset[str] = frozenset()

    def __init__(self, account: str) -> None:
        self.account = account

    def access_token(self) -> str:
        raise AssertionError("the reach of these calls is decided by their arguments")

    def refresh(self, rejected: str) -> str:
        raise AssertionError("the reach of these calls is decided by their arguments")


def _reach(cls: type[Connector], account: str, name: str, args: dict[str, Any]) -> str | None:
    connector = cls(Offline(account))
    spec = connector.spec(name)
    return connector.reach_for(spec, validate_request(spec, args))


@pytest.mark.parametrize(
    ("to", "reach"),
    [
        (["mona@acme.com"], "person"),
        (["lee@acme.com"], "domain"),
        (["lee@acme.com", "d@partner.example"], "outsiders"),
    ],
)
def test_mail_reaches_whom_its_recipients_are(to: list[str], reach: str) -> None:
    assert (
        _reach(GmailConnector, "mona@acme.com", "send_draft", {"to": to, "subject": "s", "body": "b"})
        == reach
    )
    draft = {"to": ["d@partner.example"], "subject": "s", "body": "b"}
    assert _reach(GmailConnector, "mona@acme.com", "draft_message", draft) == "person"


def test_sharing_reaches_whom_the_link_or_the_invitation_names() -> None:
    site = "contoso.sharepoint.com/sites/Finance"
    link = {"site": site, "path": "Budget.csv"}
    assert _reach(
        SharePointConnector, "adele@contoso.com", "create_sharing_link", {**link, "scope": "anonymous"}
    ) == ("public")
    assert _reach(SharePointConnector, "adele@contoso.com", "create_sharing_link", link) == "domain"
    anyone = {**link, "scope": "anonymous"}
    assert _reach(SharePointConnector, "adele@contoso.com", "draft_sharing_link", anyone) == "person"
    inside = {**link, "recipients": ["megan@contoso.com"]}
    assert _reach(SharePointConnector, "adele@contoso.com", "invite", inside) == "domain"
    outside = {**link, "recipients": ["megan@contoso.com", "eve@fabrikam.example"]}
    assert _reach(SharePointConnector, "adele@contoso.com", "invite", outside) == "outsiders"
    assert _reach(
        SharePointConnector, "adele@contoso.com", "upload_my_file", {"path": "a.txt", "content": "x"}
    ) == ("person")
