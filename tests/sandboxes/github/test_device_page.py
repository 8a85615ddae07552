"""The sandbox's device page is a form a person can fill in, as github.com/login/device is."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

from charter.sandboxes.github import DEFAULT_CLIENT_ID, GitHubSandbox

JSON = {"Accept": "application/json"}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class _Form(HTMLParser):
    """The first form of a page: its method, action and the names of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.method = self.action = ""
        self.inputs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and not self.action:
            self.method, self.action = (found.get("method") or "get").lower(), found.get("action") or ""
        elif tag == "input" and found.get("name"):
            self.inputs.append(str(found["name"]))


def test_a_person_approves_a_device_by_filling_in_the_page_form(sb: GitHubSandbox) -> None:
    with httpx.Client(timeout=10.0) as http:
        start = http.post(
            f"{sb.url}/login/device/code",
            data={"client_id": DEFAULT_CLIENT_ID, "scope": "repo"},
            headers=JSON,
        ).json()
        page = http.get(str(start["verification_uri"]))
        form = _Form()
        form.feed(page.text)

        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert (form.method, form.inputs) == ("post", ["user_code"])
        submitted = http.post(f"{sb.url}{form.action}", data={"user_code": start["user_code"]})
        assert submitted.status_code == 200
        sb.clock.advance(5)
        poll = {
            "client_id": DEFAULT_CLIENT_ID,
            "grant_type": DEVICE_GRANT,
            "device_code": start["device_code"],
        }
        token = http.post(f"{sb.url}/login/oauth/access_token", data=poll, headers=JSON).json()

    assert str(token["access_token"]).startswith("ghu_")


def test_a_wrong_code_typed_into_the_form_is_refused(sb: GitHubSandbox) -> None:
    with httpx.Client(timeout=10.0) as http:
        answer = http.post(f"{sb.url}/login/device", data={"user_code": "NOPE-NOPE"})

    assert answer.status_code == 404
    assert "not valid" in answer.text
