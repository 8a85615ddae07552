"""The floors: hand-written httpx clients making the fewest requests each API allows for a bulk read.

Each takes the sandbox URL and a bearer token, uses the API's largest page and its batch endpoint,
parses every answer as JSON (as any client must) and returns how many items it read. Nothing of
Charter is used, so a ratio against these is Charter's whole cost over the wire's.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx

GITHUB_PAGE = 100
GMAIL_LIST_PAGE = 500
GOOGLE_BATCH = 100
CALENDAR_PAGE = 2500


def client(base: str, token: str) -> httpx.Client:
    """One keep-alive client, as a careful hand-written integration would hold."""
    return httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=30)


def github_listing(http: httpx.Client, path: str, params: dict[str, Any]) -> list[Any]:
    """Every item of a GitHub listing, 100 a page, following the Link header."""
    items: list[Any] = []
    url: str | None = path
    query: dict[str, Any] | None = {**params, "per_page": GITHUB_PAGE}
    while url:
        response = http.get(url, params=query)
        response.raise_for_status()
        items += response.json()
        url = response.links.get("next", {}).get("url")
        query = None  # the next link carries the query
    return items


def github_issues_with_comments(http: httpx.Client, repo: str) -> int:
    """Open issues of `repo` and every comment of the repository: two listings, 100 a page."""
    issues = github_listing(http, f"/repos/{repo}/issues", {"state": "open"})
    comments = github_listing(http, f"/repos/{repo}/issues/comments", {"sort": "created", "direction": "asc"})
    return len(issues) + len(comments)


def gmail_ids(http: httpx.Client, query: str) -> list[str]:
    """The ids of every message matching `query`, 500 a page."""
    ids: list[str] = []
    token: str | None = None
    while True:
        params = {"q": query, "maxResults": GMAIL_LIST_PAGE} | ({"pageToken": token} if token else {})
        response = http.get("/gmail/v1/users/me/messages", params=params)
        response.raise_for_status()
        data = response.json()
        ids += [m["id"] for m in data.get("messages") or []]
        token = data.get("nextPageToken")
        if not token:
            return ids


def gmail_full_messages(http: httpx.Client, ids: list[str]) -> int:
    """Every message of `ids` with format=full, 100 per batch request; how many came back whole."""
    read = 0
    for start in range(0, len(ids), GOOGLE_BATCH):
        paths = [f"/gmail/v1/users/me/messages/{i}?format=full" for i in ids[start : start + GOOGLE_BATCH]]
        read += sum(1 for part in google_batch(http, "/batch/gmail/v1", paths) if "payload" in part)
    return read


def google_batch(http: httpx.Client, endpoint: str, paths: list[str]) -> list[Any]:
    """GET each of `paths` in one Google batch request; the JSON of each answer part, in order."""
    boundary = "floor_" + secrets.token_hex(8)
    body = (
        "".join(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <{n}>\r\n\r\n"
            f"GET {p} HTTP/1.1\r\n\r\n"
            for n, p in enumerate(paths)
        )
        + f"--{boundary}--\r\n"
    )
    response = http.post(
        endpoint, content=body, headers={"content-type": f"multipart/mixed; boundary={boundary}"}
    )
    response.raise_for_status()
    answer = response.headers["content-type"].split("boundary=", 1)[1].strip('"')
    parts = response.content.split(b"--" + answer.encode())[1:-1]
    # Each part: its own headers, a blank line, the embedded HTTP response's head, a blank line, JSON.
    return [json.loads(part.split(b"\r\n\r\n", 2)[2]) for part in parts]


def calendar_events(http: httpx.Client, time_min: str) -> int:
    """Every event of the primary calendar from `time_min`, 2,500 a page."""
    count, token = 0, None
    while True:
        params = {
            "timeMin": time_min,
            "maxResults": CALENDAR_PAGE,
            "singleEvents": "true",
            "orderBy": "startTime",
        }
        response = http.get(
            "/calendar/v3/calendars/primary/events", params=params | ({"pageToken": token} if token else {})
        )
        response.raise_for_status()
        data = response.json()
        count += len(data.get("items") or [])
        token = data.get("nextPageToken")
        if not token:
            return count
