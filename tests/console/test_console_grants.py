"""The console's grant form: only valid names issue a grant, the token is shown once, a passkey guards it."""

from __future__ import annotations

import re

import httpx
import pytest
from consoles import Console

from charter.agents.person import PasskeyStore
from charter.auth.consent import TokenSet
from charter.cli.context import Local


@pytest.fixture(scope="module")
def connection(here: Local) -> str:
    return here.vault.add_connection(
        service="github",
        provider="github",
        account="mona",
        tokens=TokenSet("ghu_consoleTestAccessToken0123456789ab", scopes=frozenset({"repo"})),
        api_base="http://127.0.0.1:9",
        oauth_base="http://127.0.0.1:9",
        client_id="Iv1.test",
    ).id


def opened(console: Console) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=console.origin, headers={"origin": console.origin})
    client.get(console.link)
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/grants").text)
    assert found is not None
    return client, found.group(1)


def test_the_form_offers_the_connectors_own_actions_and_constraints(
    console: Console, connection: str
) -> None:
    client, _ = opened(console)
    page = client.get("/grants").text
    assert f'value="{connection}"' in page
    assert 'value="github_list_issues"' in page
    assert 'name="constraint:repos"' in page
    assert 'value="github_merge_pull_request"' in page  # offered among the destructive ones


def test_a_grant_made_in_the_form_is_issued_once_and_shown_once(console: Console, connection: str) -> None:
    client, csrf = opened(console)
    form = {
        "csrf": csrf, "agent": "console-bot", "connection": connection, "verb": ["read", "draft"],
        "action": ["github_list_issues"], "constraint:repos": "acme/web", "budget": "5", "ttl": "1h",
    }  # fmt: skip
    made = client.post("/grants", data=form)
    assert made.status_code == 201, made.text
    token = re.search(r'id="issued-token">([^<]+)<', made.text)
    assert token is not None
    claims = console.here.grants.verify(token.group(1).strip())
    assert (claims.agent, claims.actions, claims.constraints, claims.budget) == (
        "console-bot", ("github_list_issues",), {"repos": ("acme/web",)}, 5,
    )  # fmt: skip
    assert token.group(1) not in client.get("/grants").text  # listed, but its token never again


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("action", "github_list_issuez", "unknown action"),
        ("constraint:repo", "acme/web", "unknown constraint"),
        ("constraint:r\u0435pos", "acme/web", "unknown constraint"),  # a Cyrillic e
        ("destructive", "github_comment", "unknown destructive"),
        ("budget", "-1", "budget"),
    ],
)
def test_a_name_the_connectors_do_not_declare_issues_nothing(
    console: Console, connection: str, field: str, value: str, said: str
) -> None:
    client, csrf = opened(console)
    before = len(console.here.grants.list())
    form = {"csrf": csrf, "agent": "typo-bot", "connection": connection, "verb": "read", field: value}
    refused = client.post("/grants", data=form)
    assert refused.status_code == 400
    assert said in refused.text
    assert len(console.here.grants.list()) == before


def test_with_a_passkey_registered_the_form_needs_its_answer(
    console: Console, connection: str, here: Local
) -> None:
    client, csrf = opened(console)
    store = PasskeyStore(here.home)
    store.add("test-credential", "cHVibGlj", 0, "test")
    try:
        refused = client.post(
            "/grants", data={"csrf": csrf, "agent": "sneaky", "connection": connection, "verb": "read"}
        )
        assert refused.status_code == 400
        assert "passkey" in refused.text
        assert not [g for g in here.grants.list() if g.claims.agent == "sneaky"]
    finally:
        store.remove("test-credential")
