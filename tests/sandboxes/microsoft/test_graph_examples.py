"""The Graph sandbox answers the requests of Microsoft's published HTTP examples as the examples show.

No package that pip or npm installs ships the examples (see docs/sharepoint.md), so their facts are
kept here as data, each with its source: the v1.0 API reference page (microsoftgraph/
microsoft-graph-docs-contrib, `api-reference/v1.0/api/<page>.md`, or `concepts/<page>.md`; on the
web at `Published.url`) whose Request and Response blocks it records. An example's request is sent
as published, against the sandbox's own drive and sites (its ids and names stand in for `{item-id}`
and the like); the answer must have the example's status, and every property the example's
response shows, with the same JSON type (nested objects checked alike, an array by its first
element), plus its OData annotations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from charter.sandboxes.microsoft import GraphSandbox

SITE = "contoso.sharepoint.com:/sites/Finance"
CHUNK = 320 * 1024
# property → JSON type name, the nested object's shape, or `[kind]`: an array whose first element is alike
Shape = dict[str, Any]


@dataclass(frozen=True)
class Published:
    """One published example: where it is, the request it sends, and what its response shows."""

    page: str
    send: Callable[[httpx.Client, dict[str, str]], httpx.Response]
    status: int
    shape: Shape = field(default_factory=dict)
    # The shape of each element of `value`, for a collection.
    each: Shape | None = None
    annotations: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The page as Microsoft publishes it."""
        if self.page in CONCEPTS:
            return f"https://learn.microsoft.com/graph/{self.page}"
        return f"https://learn.microsoft.com/graph/api/{self.page}?view=graph-rest-1.0"


CONCEPTS = frozenset({"errors", "json-batching", "search-concept-files"})

_WHO = {"user": {"displayName": "string", "id": "string"}}
_ITEM = {"id": "string", "name": "string", "size": "number"}
# A search hit's driveItem, as search-concept-files shows it.
_HIT = {
    "@odata.type": "string",
    "createdDateTime": "string",
    "lastModifiedDateTime": "string",
    "name": "string",
    "webUrl": "string",
    "createdBy": {"user": {"displayName": "string"}},
    "lastModifiedBy": {"user": {"displayName": "string"}},
    "parentReference": {
        "siteId": "string",
        "driveId": "string",
        "sharepointIds": {"listId": "string", "listItemId": "string", "listItemUniqueId": "string"},
    },
    "fileSystemInfo": {"createdDateTime": "string", "lastModifiedDateTime": "string"},
}
EXAMPLES: tuple[Published, ...] = (
    Published(
        "driveitem-get",
        lambda api, ids: api.get("/me/drive/root"),
        200,
        {
            "createdBy": _WHO,
            "createdDateTime": "string",
            "cTag": "string",
            "eTag": "string",
            "id": "string",
            "lastModifiedBy": _WHO,
            "lastModifiedDateTime": "string",
            "name": "string",
            "root": {},
            "size": "number",
            "webUrl": "string",
            "folder": {"childCount": "number"},
        },
    ),
    Published(
        # Every child shown has a name; only the files show `size` (and `file`), the folders
        # `folder`. `@odata.nextLink` is shown, but only for more than a page (200) of children.
        "driveitem-list-children",
        lambda api, ids: api.get("/me/drive/root/children"),
        200,
        each={"name": "string"},
    ),
    Published(
        "driveitem-post-children",
        lambda api, ids: api.post(
            "/me/drive/root/children",
            json={"name": "New Folder", "folder": {}, "@microsoft.graph.conflictBehavior": "rename"},
        ),
        201,
        {
            "createdBy": _WHO,
            "createdDateTime": "string",
            "eTag": "string",
            "id": "string",
            "lastModifiedBy": _WHO,
            "lastModifiedDateTime": "string",
            "name": "string",
            "parentReference": {"driveId": "string", "id": "string", "path": "string"},
            "size": "number",
            "folder": {"childCount": "number"},
        },
    ),
    Published(
        # Published against `/FolderA/FileB.txt`; the sandbox's own drive has `Notes/` instead.
        "driveitem-put-content",
        lambda api, ids: api.put(
            "/me/drive/root:/Notes/FileB.txt:/content",
            content=b"The contents of the file goes here.",
            headers={"Content-Type": "text/plain"},
        ),
        201,
        {**_ITEM, "file": {}},
    ),
    Published(
        "driveitem-createlink",
        lambda api, ids: api.post(
            f"/me/drive/items/{ids['todo']}/createLink", json={"type": "edit", "scope": "organization"}
        ),
        201,
        {"id": "string", "roles": "array", "link": {"type": "string", "scope": "string", "webUrl": "string"}},
    ),
    Published(
        "driveitem-invite",
        lambda api, ids: api.post(
            f"/me/drive/items/{ids['todo']}/invite",
            json={
                "recipients": [{"email": "ryan@contoso.com"}],
                "message": "Here's the file that we're collaborating on.",
                "requireSignIn": True,
                "sendInvitation": True,
                "roles": ["write"],
            },
        ),
        200,
        each={
            "id": "string",
            "roles": "array",
            "invitation": {"email": "string", "signInRequired": "boolean"},
        },
    ),
    Published(
        "driveitem-createuploadsession",
        lambda api, ids: api.post("/me/drive/root:/Notes/big.bin:/createUploadSession"),
        200,
        {"uploadUrl": "string", "expirationDateTime": "string"},
    ),
    Published(
        "driveitem-delta",
        lambda api, ids: api.get("/me/drive/root/delta"),
        200,
        each={"id": "string", "name": "string"},
        annotations=("@odata.deltaLink",),
    ),
    Published(
        # "Retrieving the current deltaLink": no items, only the link to start from.
        "driveitem-delta",
        lambda api, ids: api.get("/me/drive/root/delta", params={"token": "latest"}),
        200,
        {"value": "array"},
        annotations=("@odata.deltaLink",),
    ),
    Published(
        # Published for `q='Contoso Project'`, whose hits are folders; the sandbox's `Notes/` stands in.
        # `@odata.nextLink` is shown, but only for more than a page of hits.
        "driveitem-search",
        lambda api, ids: api.get("/me/drive/root/search(q='Notes')"),
        200,
        each={
            "id": "string",
            "name": "string",
            "folder": {},
            "searchResult": {"onClickTelemetryUrl": "string"},
        },
    ),
    Published("driveitem-delete", lambda api, ids: api.delete(f"/me/drive/items/{ids['plan']}"), 204),
    Published(
        "site-getbypath",
        lambda api, ids: api.get(f"/sites/{SITE}"),
        200,
        {
            "id": "string",
            "displayName": "string",
            "name": "string",
            "createdDateTime": "string",
            "lastModifiedDateTime": "string",
            "webUrl": "string",
        },
    ),
    Published(
        "drive-list",
        lambda api, ids: api.get(f"/sites/{ids['site']}/drives"),
        200,
        each={
            "createdDateTime": "string",
            "description": "string",
            "id": "string",
            "lastModifiedDateTime": "string",
            "name": "string",
            "webUrl": "string",
            "driveType": "string",
            "createdBy": {"user": {"displayName": "string"}},
            "lastModifiedBy": _WHO,
            "owner": {"user": {"displayName": "string"}},
            "quota": {
                "deleted": "number",
                "remaining": "number",
                "state": "string",
                "total": "number",
                "used": "number",
            },
        },
        annotations=("@odata.context",),
    ),
    Published(
        "listitem-list",
        lambda api, ids: api.get(
            f"/sites/{ids['site']}/lists/Contracts/items", params={"expand": "fields(select=Title,Status)"}
        ),
        200,
        each={"id": "string", "fields": {"Title": "string", "Status": "string"}},
    ),
    Published(
        "listitem-update",
        lambda api, ids: api.patch(
            f"/sites/{ids['site']}/lists/Contracts/items/1/fields", json={"Status": "Expired"}
        ),
        200,
        {"Status": "string", "Title": "string"},
    ),
    Published(
        "json-batching",
        lambda api, ids: api.post(
            "/$batch",
            json={
                "requests": [
                    {"id": "1", "method": "GET", "url": "/me/drive/root"},
                    {"id": "2", "method": "GET", "url": "/me/drive/root/children"},
                ]
            },
        ),
        200,
        # Published for directory and Planner requests the sandbox does not serve; drive requests stand in.
        {
            "responses": [
                {"id": "string", "status": "number", "headers": {"Content-Type": "string"}, "body": {}}
            ]
        },
    ),
    Published(
        # concepts/search-concept-files, "Example 1: Search files" (`POST /search/query`); published for
        # "contoso", which the sandbox's Finance reports stand in for.
        "search-concept-files",
        lambda api, ids: api.post(
            "/search/query",
            json={"requests": [{"entityTypes": ["driveItem"], "query": {"queryString": "revenue"}}]},
        ),
        200,
        each={
            "searchTerms": ["string"],
            "hitsContainers": [
                {
                    "total": "number",
                    "moreResultsAvailable": "boolean",
                    "hits": [{"hitId": "string", "rank": "number", "summary": "string", "resource": _HIT}],
                }
            ],
        },
        annotations=("@odata.context",),
    ),
    Published(
        # concepts/errors: the error resource, with innerError's request id and date; its status table
        # gives 404 for a resource that does not exist.
        "errors",
        lambda api, ids: api.get("/me/drive/root:/no such file.txt"),
        404,
        {
            "error": {
                "code": "string",
                "message": "string",
                "innerError": {"request-id": "string", "date": "string"},
            }
        },
    ),
)

_JSON = {"string": str, "number": (int, float), "boolean": bool, "array": list}


def shape_problems(value: Any, shape: Shape, where: str) -> list[str]:
    """How `value` differs from a published example's shape (empty: it has every property alike)."""
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {type(value).__name__}"]
    problems = []
    for name, kind in shape.items():
        if name not in value:
            problems.append(f"{where}: no {name!r}")
        else:
            problems += kind_problems(value[name], kind, f"{where}.{name}")
    return problems


def kind_problems(value: Any, kind: Any, where: str) -> list[str]:
    """How one property's value differs from its published kind (a type name, a shape, or `[kind]`)."""
    if isinstance(kind, dict):
        return shape_problems(value, kind, where)
    if isinstance(kind, list):
        if not isinstance(value, list) or not value:
            return [f"{where}: expected a non-empty array, got {value!r:.40}"]
        return kind_problems(value[0], kind[0], f"{where}[0]")
    if not isinstance(value, _JSON[kind]) or isinstance(value, bool) != (kind == "boolean"):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    return []


def example_problems(example: Published, answer: httpx.Response) -> list[str]:
    where = f"{example.page} ({answer.request.method} {answer.request.url.path})"
    if answer.status_code != example.status:
        return [f"{where}: status {answer.status_code}, published {example.status}"]
    if example.status == 204:
        return [] if not answer.content else [f"{where}: 204 with a body"]
    body = answer.json()
    problems = shape_problems(body, example.shape, where)
    if example.each is not None:
        items = body.get("value") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return [*problems, f"{where}: no items in `value` to compare"]
        problems += shape_problems(items[0], example.each, f"{where} value[0]")
    problems += [f"{where}: no {a}" for a in example.annotations if a not in body]
    return problems


@pytest.fixture
def own(graph: GraphSandbox, api: httpx.Client) -> dict[str, str]:
    """Ids the examples' placeholders stand for: the person's files and the Finance site."""
    todo = api.get("/me/drive/root:/Notes/todo.txt").json()["id"]
    plan = api.get("/me/drive/root:/Travel plan.txt").json()["id"]
    site = api.get(f"/sites/{SITE}").json()["id"]
    return {"todo": todo, "plan": plan, "site": site}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.page)
def test_the_sandbox_answers_each_published_example_as_published(
    example: Published, api: httpx.Client, own: dict[str, str]
) -> None:
    assert example_problems(example, example.send(api, own)) == [], example.url


def test_a_second_link_of_the_same_kind_is_the_existing_one_with_200(
    api: httpx.Client, own: dict[str, str]
) -> None:
    # driveitem-createlink: 201 Created for a new sharing link, 200 OK when an existing one is returned.
    body = {"type": "view", "scope": "organization"}
    first = api.post(f"/me/drive/items/{own['todo']}/createLink", json=body)
    again = api.post(f"/me/drive/items/{own['todo']}/createLink", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_upload_fragments_answer_202_with_the_next_range_then_the_item(api: httpx.Client) -> None:
    # driveitem-createuploadsession: intermediate fragments get 202 and `nextExpectedRanges`; the last
    # one 201 with the driveItem. The published fragment is 26 bytes of 128; SharePoint asks for
    # multiples of 320 KiB, so the sandbox's fragments are.
    session = api.post("/me/drive/root:/Notes/big.bin:/createUploadSession").json()
    data = b"x" * (CHUNK + 7)
    with httpx.Client(timeout=10) as bare:
        first = bare.put(
            session["uploadUrl"],
            content=data[:CHUNK],
            headers={"Content-Range": f"bytes 0-{CHUNK - 1}/{len(data)}"},
        )
        last = bare.put(
            session["uploadUrl"],
            content=data[CHUNK:],
            headers={"Content-Range": f"bytes {CHUNK}-{len(data) - 1}/{len(data)}"},
        )
    assert first.status_code == 202
    assert (
        shape_problems(first.json(), {"expirationDateTime": "string", "nextExpectedRanges": "array"}, "202")
        == []
    )
    assert first.json()["nextExpectedRanges"] == [f"{CHUNK}-"]
    assert last.status_code == 201
    assert shape_problems(last.json(), {**_ITEM, "file": {}}, "201") == []
    assert last.json()["size"] == len(data)


def test_an_overlapping_fragment_is_the_published_error_body_416_invalid_range(api: httpx.Client) -> None:
    # concepts/errors' full error body is `invalidRange` for an uploaded fragment that overlaps data the
    # session has; its status table gives 416 for a byte range that is invalid or unavailable.
    session = api.post("/me/drive/root:/Notes/big.bin:/createUploadSession").json()
    data = b"x" * (CHUNK + 7)
    fragment = {"Content-Range": f"bytes 0-{CHUNK - 1}/{len(data)}"}
    with httpx.Client(timeout=10) as bare:
        first = bare.put(session["uploadUrl"], content=data[:CHUNK], headers=fragment)
        again = bare.put(session["uploadUrl"], content=data[:CHUNK], headers=fragment)
    assert (first.status_code, again.status_code) == (202, 416)
    shape = {
        "error": {
            "code": "string",
            "message": "string",
            "innerError": {"request-id": "string", "date": "string"},
        }
    }
    assert shape_problems(again.json(), shape, "416") == []
    assert again.json()["error"]["code"] == "invalidRange"


def test_the_comparison_catches_a_wrong_status_a_missing_property_and_a_wrong_type() -> None:
    example = Published(
        "driveitem-put-content", lambda api, ids: httpx.Response(201), 201, {**_ITEM, "file": {}}
    )
    request = httpx.Request("PUT", "http://graph.test/v1.0/me/drive/root:/a.txt:/content")
    good = {"id": "1", "name": "a.txt", "size": 3, "file": {}}
    assert example_problems(example, httpx.Response(201, json=good, request=request)) == []
    assert example_problems(example, httpx.Response(200, json=good, request=request))[0].endswith(
        "status 200, published 201"
    )
    assert example_problems(example, httpx.Response(201, json={**good, "file": 1}, request=request)) == [
        "driveitem-put-content (PUT /v1.0/me/drive/root:/a.txt:/content).file: expected an object, got int"
    ]
    missing = {k: v for k, v in good.items() if k != "name"}
    assert example_problems(example, httpx.Response(201, json=missing, request=request)) == [
        "driveitem-put-content (PUT /v1.0/me/drive/root:/a.txt:/content): no 'name'"
    ]
    assert example_problems(example, httpx.Response(201, json={**good, "size": "3"}, request=request)) == [
        "driveitem-put-content (PUT /v1.0/me/drive/root:/a.txt:/content).size: expected number, got str"
    ]
    assert example_problems(example, httpx.Response(201, json={**good, "size": True}, request=request)) != []


def test_the_comparison_looks_into_the_first_element_of_a_published_array() -> None:
    example = Published(
        "json-batching", lambda api, ids: httpx.Response(200), 200, {"responses": [{"id": "string"}]}
    )
    request = httpx.Request("POST", "http://graph.test/v1.0/$batch")
    where = "json-batching (POST /v1.0/$batch)"
    assert (
        example_problems(example, httpx.Response(200, json={"responses": [{"id": "1"}]}, request=request))
        == []
    )
    assert example_problems(
        example, httpx.Response(200, json={"responses": [{"id": 1}]}, request=request)
    ) == [f"{where}.responses[0].id: expected string, got int"]
    assert example_problems(example, httpx.Response(200, json={"responses": []}, request=request)) == [
        f"{where}.responses: expected a non-empty array, got []"
    ]
    assert example_problems(example, httpx.Response(200, json={"responses": {}}, request=request)) != []
