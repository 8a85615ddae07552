"""GitHub REST: issues, issue comments and issue search."""

from __future__ import annotations

import shlex

from starlette.routing import Route

from charter.sandboxes.clock import parse_iso
from charter.sandboxes.github import render
from charter.sandboxes.github.api import (
    ApiError,
    ApiResponse,
    Ctx,
    Shape,
    endpoint,
    not_found,
    validation_failed,
)
from charter.sandboxes.github.state import Comment, Issue, Label, Repo

STATE_REASONS = {"completed", "not_planned", "reopened", "duplicate"}


def _issue(ctx: Ctx, repo: Repo) -> Issue:
    try:
        number = int(ctx.param("number"))
    except ValueError:
        raise not_found() from None
    if number not in repo.issues:
        raise not_found()
    return repo.issues[number]


def _since(ctx: Ctx) -> float | None:
    raw = ctx.query.get("since")
    if raw is None:
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise validation_failed("Issue", "since", "invalid") from None


def _has_labels(issue: Issue, wanted: list[str]) -> bool:
    have = {name.lower() for name in issue.labels}
    return all(w.lower() in have for w in wanted)


def _who_filter(value: str | None, people: list[str]) -> bool:
    if value is None:
        return True
    if value == "none":
        return not people
    if value == "*":
        return bool(people)
    return value in people


def list_issues(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/issues: issues and pull requests, filtered, sorted and paginated."""
    repo = ctx.repo()
    q = ctx.query
    state = q.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise validation_failed("Issue", "state", "invalid")
    labels = [x for x in q.get("labels", "").split(",") if x.strip()]
    since = _since(ctx)
    items = [
        i
        for i in repo.issues.values()
        if state in ("all", i.state)
        and _has_labels(i, [x.strip() for x in labels])
        and _who_filter(q.get("assignee"), i.assignees)
        and (q.get("creator") is None or q.get("creator") == i.user)
        and (since is None or parse_iso(i.updated_at) >= since)
    ]
    sort = q.get("sort", "created")
    reverse = q.get("direction", "desc") != "asc"
    if sort == "comments":
        items.sort(key=lambda i: (len(repo.comments_on(i.number)), i.number), reverse=reverse)
    elif sort == "updated":
        items.sort(key=lambda i: (i.updated_at, i.number), reverse=reverse)
    else:
        items.sort(key=lambda i: (i.created_at, i.number), reverse=reverse)
    page, links = ctx.paginate(items)
    return ApiResponse([render.issue(ctx.base, ctx.state, repo, i) for i in page], headers=links)


def get_issue(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/issues/{number}."""
    repo = ctx.repo()
    return ApiResponse(render.issue(ctx.base, ctx.state, repo, _issue(ctx, repo)))


def _label_names(ctx: Ctx, repo: Repo, raw: object) -> list[str]:
    if not isinstance(raw, list):
        raise validation_failed("Issue", "labels", "invalid")
    names: list[str] = []
    for entry in raw:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or not name.strip():
            raise validation_failed("Label", "name", "invalid")
        # GitHub creates a label that does not exist yet when an issue names it.
        if name not in repo.labels:
            repo.labels[name] = Label(id=ctx.state.new_id("label"), name=name)
        names.append(name)
    return names


def _assignees(repo: Repo, raw: object) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        raise validation_failed("Issue", "assignees", "invalid")
    for login in raw:
        if login not in repo.collaborators:
            raise validation_failed("Issue", "assignees", "invalid", f"{login} is not assignable")
    return list(raw)


# The request bodies' property types, as GitHub's REST description declares them.
CREATE_ISSUE: Shape = {
    "title": "string|integer", "body": "string", "assignee": "string|null",
    "milestone": "string|integer|null", "labels": "array", "assignees": "array", "type": "string|null",
    "issue_field_values": "array",
}  # fmt: skip
UPDATE_ISSUE: Shape = {
    **CREATE_ISSUE, "title": "string|integer|null", "body": "string|null", "state": "string",
    "state_reason": "string|null", "type": "string|object|null", "duplicate_issue_id": "integer",
}  # fmt: skip


def create_issue(ctx: Ctx) -> ApiResponse:
    """POST /repos/{owner}/{repo}/issues."""
    repo = ctx.repo()
    body = ctx.json(CREATE_ISSUE)
    title = body.get("title")
    if not isinstance(title, str | int) or not str(title).strip():
        raise validation_failed("Issue", "title", "missing_field")
    now = ctx.state.now()
    issue = Issue(
        id=ctx.state.new_id("issue"),
        number=repo.next_number(),
        title=str(title),
        body=body.get("body") if isinstance(body.get("body"), str) else None,
        user=ctx.login or "",
        created_at=now,
        updated_at=now,
    )
    if "labels" in body:
        issue.labels = _label_names(ctx, repo, body["labels"])
    if "assignees" in body or body.get("assignee"):
        issue.assignees = _assignees(repo, body.get("assignees") or [body.get("assignee")])
    repo.issues[issue.number] = issue
    repo.updated_at = now
    return ApiResponse(render.issue(ctx.base, ctx.state, repo, issue), status=201)


def apply_text(item: Issue, body: dict[str, object], resource: str) -> None:
    """A PATCH's `title` and `body`, as GitHub takes them for issues and pull requests alike."""
    if "title" in body:
        title = body["title"]
        if not isinstance(title, str) or not title.strip():
            raise validation_failed(resource, "title", "missing_field")
        item.title = title
    if "body" in body:
        item.body = body["body"] if isinstance(body["body"], str) else None


def apply_state(ctx: Ctx, repo: Repo, issue: Issue, state: object, reason: object) -> None:
    """Open or close an issue (or pull request), setting closed_at / state_reason as GitHub does."""
    if state is not None and state not in ("open", "closed"):
        raise validation_failed("Issue", "state", "invalid")
    if reason is not None and reason not in STATE_REASONS:
        raise validation_failed("Issue", "state_reason", "invalid")
    now = ctx.state.now()
    if state == "closed" and issue.state != "closed":
        issue.state, issue.closed_at, issue.closed_by = "closed", now, ctx.login
        issue.state_reason = str(reason) if reason else ("completed" if issue.pull is None else None)
        if issue.pull is not None:
            issue.pull.head_sha_at_close = repo.git.branches.get(issue.pull.head_ref)
    elif state == "open" and issue.state != "open":
        if issue.pull is not None and issue.pull.merged:
            raise ApiError(422, "Validation Failed", errors=[_merged_error()])
        issue.state, issue.closed_at, issue.closed_by = "open", None, None
        issue.state_reason = "reopened" if issue.pull is None else None
        if issue.pull is not None:
            issue.pull.head_sha_at_close = None
    elif reason is not None and issue.state == "closed":
        issue.state_reason = str(reason)


def _merged_error() -> dict[str, str]:
    return {"resource": "PullRequest", "code": "custom", "message": "Cannot reopen a merged pull request"}


def update_issue(ctx: Ctx) -> ApiResponse:
    """PATCH /repos/{owner}/{repo}/issues/{number}."""
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    body = ctx.json(UPDATE_ISSUE)
    apply_text(issue, body, "Issue")
    if "labels" in body:
        issue.labels = _label_names(ctx, repo, body["labels"])
    if "assignees" in body:
        issue.assignees = _assignees(repo, body["assignees"])
    apply_state(ctx, repo, issue, body.get("state"), body.get("state_reason"))
    issue.updated_at = ctx.state.now()
    return ApiResponse(render.issue(ctx.base, ctx.state, repo, issue))


def list_comments(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/issues/{number}/comments (oldest first)."""
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    since = _since(ctx)
    found = [c for c in repo.comments_on(issue.number) if since is None or parse_iso(c.updated_at) >= since]
    page, links = ctx.paginate(found)
    return ApiResponse([render.comment(ctx.base, ctx.state, repo, c) for c in page], headers=links)


def list_repo_comments(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/issues/comments: every issue's and pull request's, by ascending id.

    `since` keeps those updated at or after it; `sort` (created, updated) orders by that time,
    descending unless `direction=asc` (GitHub ignores `direction` without `sort`).
    """
    repo = ctx.repo()
    since = _since(ctx)
    sort, direction = ctx.query.get("sort"), ctx.query.get("direction")
    if sort not in (None, "created", "updated"):
        raise validation_failed("IssueComment", "sort", "invalid")
    if direction not in (None, "asc", "desc"):
        raise validation_failed("IssueComment", "direction", "invalid")
    found = [c for c in repo.comments if since is None or parse_iso(c.updated_at) >= since]
    found.sort(key=lambda c: c.id)
    if sort is not None:
        key = "created_at" if sort == "created" else "updated_at"
        found.sort(key=lambda c: parse_iso(getattr(c, key)), reverse=direction != "asc")
    page, links = ctx.paginate(found)
    return ApiResponse([render.comment(ctx.base, ctx.state, repo, c) for c in page], headers=links)


def create_comment(ctx: Ctx) -> ApiResponse:
    """POST /repos/{owner}/{repo}/issues/{number}/comments."""
    repo = ctx.repo()
    issue = _issue(ctx, repo)
    text = ctx.json({"body": "string"}).get("body")
    if not isinstance(text, str) or not text.strip():
        raise validation_failed("IssueComment", "body", "missing_field")
    now = ctx.state.now()
    comment = Comment(ctx.state.new_id("comment"), issue.number, text, ctx.login or "", now, now)
    repo.comments.append(comment)
    issue.updated_at = now
    return ApiResponse(render.comment(ctx.base, ctx.state, repo, comment), status=201)


def _matches(repo: Repo, issue: Issue, terms: list[str]) -> bool:
    kind_pr = issue.pull is not None
    fields: set[str] | None = None
    words: list[str] = []
    for term in terms:
        key, sep, value = term.partition(":")
        if not sep or not value:
            words.append(term.lower())
            continue
        key, value = key.lower(), value.lower()
        ok = True
        if key == "repo":
            ok = repo.full_name.lower() == value
        elif key in ("org", "user"):
            ok = repo.owner.lower() == value
        elif key in ("is", "type", "state"):
            ok = _is(issue, value, kind_pr)
        elif key == "draft":
            ok = issue.pull is not None and issue.pull.draft == (value == "true")
        elif key == "label":
            ok = value in {name.lower() for name in issue.labels}
        elif key == "author":
            ok = issue.user.lower() == value
        elif key == "assignee":
            ok = value in {a.lower() for a in issue.assignees}
        elif key == "no":
            ok = not (issue.labels if value == "label" else issue.assignees)
        elif key == "in":
            fields = set(value.split(","))
        else:
            words.append(term.lower())
        if not ok:
            return False
    return all(_contains(repo, issue, fields, w) for w in words)


def _is(issue: Issue, value: str, kind_pr: bool) -> bool:
    checks = {
        "issue": not kind_pr,
        "pr": kind_pr,
        "pull-request": kind_pr,
        "open": issue.state == "open",
        "closed": issue.state == "closed",
        "merged": bool(issue.pull and issue.pull.merged),
        "draft": bool(issue.pull and issue.pull.draft),
    }
    return checks.get(value, False)


def _contains(repo: Repo, issue: Issue, fields: set[str] | None, word: str) -> bool:
    # Without an `in:` qualifier GitHub looks in titles, bodies and comments.
    scope = fields or {"title", "body", "comments"}
    texts = []
    if "title" in scope:
        texts.append(issue.title)
    if "body" in scope:
        texts.append(issue.body or "")
    if "comments" in scope:
        texts.extend(c.body for c in repo.comments_on(issue.number))
    return any(word in t.lower() for t in texts)


def search_issues(ctx: Ctx) -> ApiResponse:
    """GET /search/issues: GitHub's issue search over the repositories the caller can see."""
    raw = ctx.query.get("q", "").strip()
    if not raw:
        raise validation_failed("Search", "q", "missing")
    try:
        terms = shlex.split(raw)
    except ValueError:
        terms = raw.split()
    found = [
        (repo, issue)
        for repo in ctx.state.repos.values()
        if ctx.can_see(repo)
        for issue in repo.issues.values()
        if _matches(repo, issue, terms)
    ]
    sort = ctx.query.get("sort")
    reverse = ctx.query.get("order", "desc") != "asc"
    if sort == "updated":
        found.sort(key=lambda p: p[1].updated_at, reverse=reverse)
    elif sort == "comments":
        found.sort(key=lambda p: len(p[0].comments_on(p[1].number)), reverse=reverse)
    else:
        found.sort(key=lambda p: p[1].created_at, reverse=reverse)
    page, links = ctx.paginate(found)
    items = [{**render.issue(ctx.base, ctx.state, r, i), "score": 1.0} for r, i in page]
    body = {"total_count": len(found), "incomplete_results": False, "items": items, "search_type": "lexical"}
    return ApiResponse(body, headers=links)


REPO = "/repos/{owner}/{repo}"
ROUTES = [
    Route(f"{REPO}/issues", endpoint(list_issues), methods=["GET"]),
    Route(f"{REPO}/issues", endpoint(create_issue, auth="required"), methods=["POST"]),
    # Before `issues/{number}`, which would take `comments` for a number.
    Route(f"{REPO}/issues/comments", endpoint(list_repo_comments), methods=["GET"]),
    Route(f"{REPO}/issues/{{number}}", endpoint(get_issue), methods=["GET"]),
    Route(f"{REPO}/issues/{{number}}", endpoint(update_issue, auth="required"), methods=["PATCH"]),
    Route(f"{REPO}/issues/{{number}}/comments", endpoint(list_comments), methods=["GET"]),
    Route(f"{REPO}/issues/{{number}}/comments", endpoint(create_comment, auth="required"), methods=["POST"]),
    Route("/search/issues", endpoint(search_issues, resource="search"), methods=["GET"]),
]
