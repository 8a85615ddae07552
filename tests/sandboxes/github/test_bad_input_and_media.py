"""The GitHub sandbox answers bad input, custom media types and writes as GitHub does.

Request-body types come from GitHub's pinned REST description: every typed property of every write
endpoint the sandbox serves is sent with a value of another type, and must get GitHub's 422 (never
a 5xx, never a silent write). Media types and write headers are checked through PyGithub where it
exposes them (`etag`, `raw_headers`, `decoded_content`), with raw httpx otherwise.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from github import Github

from charter.sandboxes.fidelity import OpenAPISpec, load_github_spec
from charter.sandboxes.github import GitHubSandbox

# Each write endpoint, a concrete path on the seed data and a body it accepts.
WRITES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("POST", "/repos/{owner}/{repo}/issues", "/repos/acme/web/issues", {"title": "t"}),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", "/repos/acme/web/issues/3", {"title": "t"}),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "/repos/acme/web/issues/3/comments",
     {"body": "b"}),
    ("POST", "/repos/{owner}/{repo}/pulls", "/repos/acme/web/pulls",
     {"title": "t", "head": "fix/typo", "base": "main"}),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}", "/repos/acme/web/pulls/46", {"title": "t"}),
    ("PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge", "/repos/acme/web/pulls/46/merge", {}),
    ("PUT", "/repos/{owner}/{repo}/contents/{path}", "/repos/acme/web/contents/docs/new.md",
     {"message": "m", "content": "aGk="}),
    ("POST", "/repos/{owner}/{repo}/git/refs", "/repos/acme/web/git/refs",
     {"ref": "refs/heads/z", "sha": ""}),
]  # fmt: skip
_OTHER_TYPES: list[tuple[str, object]] = [
    ("array", []), ("object", {}), ("string", "x"), ("integer", 7), ("boolean", True),
]  # fmt: skip


@pytest.fixture(scope="module")
def spec() -> OpenAPISpec:
    try:
        return load_github_spec()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


def _resolved(spec: OpenAPISpec, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec.document
        for part in str(node["$ref"]).split("/")[1:]:
            target = target[part]
        node = target
    return node


def _property_types(spec: OpenAPISpec, method: str, template: str) -> dict[str, set[str]]:
    operation = spec.document["paths"][template][method.lower()]
    body = _resolved(spec, operation["requestBody"])
    schema = _resolved(spec, body["content"]["application/json"]["schema"])
    out: dict[str, set[str]] = {}
    for name, prop in schema["properties"].items():
        prop = _resolved(spec, prop)
        branches = [_resolved(spec, b) for b in prop.get("oneOf", prop.get("anyOf", [prop]))]
        kinds = {b["type"] for b in branches if "type" in b}
        if kinds:
            out[name] = kinds | ({"null"} if prop.get("nullable") else set())
    return out


def _wrong_value(kinds: set[str]) -> object:
    allowed = kinds | ({"integer"} if "number" in kinds else set())
    return next(value for kind, value in _OTHER_TYPES if kind not in allowed)


@pytest.mark.parametrize(("method", "template", "path", "valid"), WRITES, ids=[w[1] for w in WRITES])
def test_a_property_of_the_wrong_type_is_githubs_422_and_changes_nothing(
    sb: GitHubSandbox, api: httpx.Client, spec: OpenAPISpec, method: str, template: str, path: str,
    valid: dict[str, Any],
) -> None:  # fmt: skip
    if "sha" in valid:
        valid = {**valid, "sha": sb.state.branches("acme/web")["main"]}
    before = sb.state.branches("acme/web"), len(sb.state.comments("acme/web", 3))
    types = _property_types(spec, method, template)
    assert types, f"{template} declares no typed properties"
    for name, kinds in types.items():
        answer = api.request(method, path, json={**valid, name: _wrong_value(kinds)})
        assert answer.status_code == 422, (name, answer.status_code, answer.text)
        body = answer.json()
        assert body["message"].startswith(f"Invalid request.\n\nFor 'properties/{name}', "), body
        assert body["status"] == "422"
        assert spec.validate(method, path, 422, answer.content) == []
    assert (sb.state.branches("acme/web"), len(sb.state.comments("acme/web", 3))) == before
    # Control: the same body with every property of its own type goes through.
    assert api.request(method, path, json=valid).status_code in (200, 201)


@pytest.mark.parametrize("raw", [b"[1]", b'"text"', b"{bad", b"\xff", b"[" * 10_000])
def test_a_body_that_is_not_a_json_object_is_githubs_400(api: httpx.Client, raw: bytes) -> None:
    for method, _, path, _ in WRITES:
        answer = api.request(method, path, content=raw)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["message"] == "Problems parsing JSON"


@pytest.mark.parametrize("content", ["not base64!", "aGk", "été en base64", "aGk=\u2028"])
def test_content_that_is_not_base64_is_a_422_and_commits_nothing(
    sb: GitHubSandbox, api: httpx.Client, spec: OpenAPISpec, content: str
) -> None:
    head = sb.state.branches("acme/web")["main"]
    path = "/repos/acme/web/contents/docs/new.md"
    answer = api.put(path, json={"message": "m", "content": content})
    assert answer.status_code == 422
    assert answer.json()["message"] == "content is not valid Base64"
    assert answer.json()["documentation_url"].endswith("#create-or-update-file-contents")
    assert spec.validate("PUT", path, 422, answer.content) == []
    assert sb.state.branches("acme/web")["main"] == head
    good = base64.b64encode("été\n".encode()).decode()
    assert api.put(path, json={"message": "m", "content": good}).status_code == 201


def test_writes_answer_with_an_etag_and_where_the_new_resource_lives(gh: Github, sb: GitHubSandbox) -> None:
    repo = gh.get_repo("acme/web")
    issue = repo.create_issue("Headers")
    comment = issue.create_comment("With headers.")
    ref = repo.create_git_ref("refs/heads/headers", sb.state.branches("acme/web")["main"])
    made = [issue, comment, ref]
    for thing in made:
        assert thing.etag, thing
        assert thing.raw_headers["location"] == thing.url


def test_an_edit_answers_with_an_etag_and_no_location(api: httpx.Client) -> None:
    answer = api.patch("/repos/acme/web/issues/3", json={"title": "Edited"})
    assert answer.status_code == 200
    assert answer.headers["etag"].startswith('W/"')
    assert "location" not in answer.headers


def test_every_201_the_description_gives_a_location_has_one(
    sb: GitHubSandbox, api: httpx.Client, spec: OpenAPISpec
) -> None:
    main = sb.state.branches("acme/web")["main"]
    bodies = {
        "/repos/acme/web/issues": {"title": "t"},
        "/repos/acme/web/issues/3/comments": {"body": "b"},
        "/repos/acme/web/pulls": {"title": "t", "head": "fix/typo", "base": "main"},
        "/repos/acme/web/git/refs": {"ref": "refs/heads/loc", "sha": main},
    }
    for path, body in bodies.items():
        template, operation = spec.match("POST", path) or ("", {})
        declared = _resolved(spec, operation["responses"]["201"]).get("headers", {})
        answer = api.post(path, json=body)
        assert answer.status_code == 201, answer.text
        assert ("Location" in declared) == ("location" in answer.headers), template
        assert answer.headers["etag"].startswith('W/"')


def test_raw_and_html_media_types_of_a_file(gh: Github, api: httpx.Client) -> None:
    decoded = gh.get_repo("acme/web").get_contents("README.md")
    assert not isinstance(decoded, list)
    for accept in (
        "application/vnd.github.raw+json",
        "application/vnd.github.raw",
        "application/vnd.github.v3.raw",
    ):
        raw = api.get("/repos/acme/web/contents/README.md", headers={"Accept": accept})
        assert raw.status_code == 200
        assert raw.content == decoded.decoded_content
        assert raw.headers["content-type"].startswith("application/vnd.github.raw")
        assert "param=raw" in raw.headers["x-github-media-type"]
    html = api.get("/repos/acme/web/contents/README.md", headers={"Accept": "application/vnd.github.html"})
    assert html.headers["content-type"].startswith("application/vnd.github.html")
    assert html.text.startswith('<div id="file"')
    assert "<p>" in html.text
    listing = api.get("/repos/acme/web/contents/src", headers={"Accept": "application/vnd.github.raw+json"})
    assert isinstance(listing.json(), list)  # a directory stays a listing
    plain = api.get("/repos/acme/web/contents/README.md")
    assert plain.json()["encoding"] == "base64"
    assert plain.headers["x-github-media-type"] == "github.v3; format=json"


def test_diff_and_patch_media_types_of_a_pull_request(
    gh: Github, api: httpx.Client, sb: GitHubSandbox
) -> None:
    pull = gh.get_repo("acme/web").get_pull(46)
    diff = api.get("/repos/acme/web/pulls/46", headers={"Accept": "application/vnd.github.diff"})
    assert diff.status_code == 200
    assert diff.headers["content-type"].startswith("application/vnd.github.diff")
    files = {line.split(" b/", 1)[1] for line in diff.text.splitlines() if line.startswith("diff --git ")}
    assert files
    assert "\n+++ b/" in diff.text
    assert pull.additions == sum(
        1 for line in diff.text.splitlines() if line.startswith("+") and not line.startswith("+++")
    )
    patch = api.get("/repos/acme/web/pulls/46", headers={"Accept": "application/vnd.github.patch"})
    assert patch.text.startswith("From ")
    assert "Subject: [PATCH" in patch.text
    assert diff.text.strip() in patch.text


def test_body_media_types_choose_the_body_fields(api: httpx.Client, spec: OpenAPISpec) -> None:
    expected = {
        "application/vnd.github.raw+json": {"body"},
        "application/json": {"body"},
        "application/vnd.github.text+json": {"body_text"},
        "application/vnd.github.html+json": {"body_html"},
        "application/vnd.github.full+json": {"body", "body_text", "body_html"},
    }
    paths = ["/repos/acme/web/issues/1", "/repos/acme/web/issues/1/comments", "/repos/acme/web/pulls/46"]
    for accept, fields in expected.items():
        for path in paths:
            answer = api.get(path, headers={"Accept": accept})
            item = answer.json()[0] if isinstance(answer.json(), list) else answer.json()
            assert {"body", "body_text", "body_html"} & set(item) == fields, (accept, path)
            if accept == "application/json":
                assert spec.validate("GET", path, 200, answer.content) == []
    html = api.get("/repos/acme/web/issues/1", headers={"Accept": "application/vnd.github.html+json"})
    assert html.json()["body_html"].startswith("<p>")
    found = api.get("/search/issues?q=repo:acme/web", headers={"Accept": "application/vnd.github.text+json"})
    assert "body_text" in found.json()["items"][0]


def test_a_media_type_an_endpoint_lacks_is_a_415(api: httpx.Client) -> None:
    for path in ("/repos/acme/web/issues/1", "/repos/acme/web", "/repos/acme/web/contents/README.md"):
        answer = api.get(path, headers={"Accept": "application/vnd.github.diff"})
        assert answer.status_code == 415, path
        assert answer.json()["message"].startswith("Unsupported 'Accept' header")
