"""GitHub REST: pull requests (list, get, create, update, merge) and the one GraphQL mutation needed."""

from __future__ import annotations

import difflib
import re

from starlette.routing import Route

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
from charter.sandboxes.github.media import Media
from charter.sandboxes.github.media import diff as media_diff
from charter.sandboxes.github.media import patch as media_patch
from charter.sandboxes.github.rest_issues import apply_state, apply_text
from charter.sandboxes.github.state import GitHubState, Issue, PullFields, Repo, node_id, parse_node_id
from charter.schemas.types import JsonObject


def _branch_side(
    base: str, state: GitHubState, repo: Repo, ref: str, sha: str, login: str | None
) -> JsonObject:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": render.simple_user(base, state.users[repo.owner]),
        "repo": render.repository(base, state, repo, login),
    }


def pull_simple(base: str, state: GitHubState, repo: Repo, item: Issue, login: str | None) -> JsonObject:
    """A `pull-request-simple` (list items)."""
    pull = item.pull
    assert pull is not None
    api = f"{base}/repos/{repo.full_name}"
    url = f"{api}/pulls/{item.number}"
    html = f"{base}/{repo.full_name}/pull/{item.number}"
    as_issue = render.issue(base, state, repo, item)
    head_sha = repo.head_sha(item)
    base_sha = repo.git.branches.get(pull.base_ref, head_sha)
    links = {
        "self": url,
        "html": html,
        "issue": f"{api}/issues/{item.number}",
        "comments": f"{api}/issues/{item.number}/comments",
        "review_comments": f"{url}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": f"{api}/statuses/{head_sha}",
    }
    return {
        "url": url,
        "id": pull.id,
        "node_id": node_id("PullRequest", pull.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": links["issue"],
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "number": item.number,
        "state": item.state,
        "locked": item.locked,
        "title": item.title,
        "user": as_issue["user"],
        "body": item.body,
        "labels": as_issue["labels"],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "merged_at": pull.merged_at,
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": as_issue["assignee"],
        "assignees": as_issue["assignees"],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch_side(base, state, repo, pull.head_ref, head_sha, login),
        "base": _branch_side(base, state, repo, pull.base_ref, base_sha, login),
        "_links": {k: {"href": v} for k, v in links.items()},
        "author_association": as_issue["author_association"],
        "auto_merge": None,
        "draft": pull.draft,
    }


def _diffstat(repo: Repo, base_sha: str | None, head_sha: str) -> tuple[int, int, int]:
    changed = repo.git.changes_since(base_sha, head_sha)
    old_tree = repo.git.commits[base_sha].tree if base_sha else {}
    additions = deletions = 0
    for path, new_sha in changed.items():
        old = repo.git.blobs[old_tree[path]].decode("utf-8", "replace") if path in old_tree else ""
        new = repo.git.blobs[new_sha].decode("utf-8", "replace") if new_sha else ""
        for line in difflib.ndiff(old.splitlines(), new.splitlines()):
            additions += line.startswith("+ ")
            deletions += line.startswith("- ")
    return additions, deletions, len(changed)


def pull_full(base: str, state: GitHubState, repo: Repo, item: Issue, login: str | None) -> JsonObject:
    """A `pull-request` (GET /pulls/{number} and the answers of writes)."""
    out = pull_simple(base, state, repo, item, login)
    pull = item.pull
    assert pull is not None
    head_sha = repo.head_sha(item)
    base_branch_sha = repo.git.branches.get(pull.base_ref)
    merge_base = repo.git.merge_base(head_sha, base_branch_sha) if base_branch_sha else None
    commits = [s for s in repo.git.ancestors(head_sha) if s not in repo.git.ancestors(base_branch_sha or "")]
    additions, deletions, changed_files = _diffstat(repo, merge_base, head_sha)
    conflicts = repo.git.merge_conflicts(pull.base_ref, head_sha) if item.state == "open" else []
    if item.state != "open":
        mergeable, mergeable_state = None, "unknown"
    elif conflicts:
        mergeable, mergeable_state = False, "dirty"
    else:
        mergeable, mergeable_state = True, "draft" if pull.draft else "clean"
    merged_by = state.users.get(pull.merged_by or "")
    out.update(
        {
            "merged": pull.merged,
            "mergeable": mergeable,
            "rebaseable": mergeable,
            "mergeable_state": mergeable_state,
            "merged_by": render.simple_user(base, merged_by) if merged_by else None,
            "comments": len(repo.comments_on(item.number)),
            "review_comments": 0,
            "maintainer_can_modify": pull.maintainer_can_modify,
            "commits": len(commits),
            "additions": additions,
            "deletions": deletions,
            "changed_files": changed_files,
        }
    )
    return out


def _pull(ctx: Ctx, repo: Repo) -> Issue:
    try:
        number = int(ctx.param("number"))
    except ValueError:
        raise not_found() from None
    item = repo.issues.get(number)
    if item is None or item.pull is None:
        raise not_found()
    return item


def list_pulls(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/pulls."""
    repo = ctx.repo()
    q = ctx.query
    state = q.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise validation_failed("PullRequest", "state", "invalid")
    head = q.get("head")
    items = [
        i
        for i in repo.issues.values()
        if i.pull is not None
        and state in ("all", i.state)
        and (head is None or f"{repo.owner}:{i.pull.head_ref}" == head)
        and (q.get("base") is None or i.pull.base_ref == q.get("base"))
    ]
    key = "updated_at" if q.get("sort") == "updated" else "created_at"
    items.sort(key=lambda i: (str(getattr(i, key)), i.number), reverse=q.get("direction", "desc") != "asc")
    page, links = ctx.paginate(items)
    body = [pull_simple(ctx.base, ctx.state, repo, i, ctx.login) for i in page]
    return ApiResponse(body, headers=links)


def get_pull(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/pulls/{number}; as a diff or patches in those media types."""
    repo = ctx.repo()
    item = _pull(ctx, repo)
    media = ctx.media
    if media.param in ("diff", "patch"):
        assert item.pull is not None
        head = repo.head_sha(item)
        base = repo.git.merge_base(head, repo.git.branches[item.pull.base_ref])
        text = (
            media_diff(repo.git, base, head) if media.param == "diff" else media_patch(repo.git, base, head)
        )
        return ApiResponse(text.encode(), headers=_typed(media))
    if not media.json:
        raise ctx.unsupported_media()
    return ApiResponse(pull_full(ctx.base, ctx.state, repo, item, ctx.login))


def _typed(media: Media) -> dict[str, str]:
    return {"content-type": media.content_type(), "x-github-media-type": media.header()}


def _custom(message: str) -> ApiError:
    return ApiError(
        422, "Validation Failed", errors=[{"resource": "PullRequest", "code": "custom", "message": message}]
    )


# The request bodies' property types, as GitHub's REST description declares them.
CREATE_PULL: Shape = {
    "title": "string", "head": "string", "head_repo": "string", "base": "string", "body": "string",
    "maintainer_can_modify": "boolean", "draft": "boolean", "issue": "integer",
}  # fmt: skip
UPDATE_PULL: Shape = {
    "title": "string", "body": "string", "state": "string", "base": "string",
    "maintainer_can_modify": "boolean",
}  # fmt: skip
MERGE_PULL: Shape = {
    "commit_title": "string", "commit_message": "string", "sha": "string", "merge_method": "string"
}  # fmt: skip
GRAPHQL: Shape = {"query": "string", "variables": "object|null"}


def create_pull(ctx: Ctx) -> ApiResponse:
    """POST /repos/{owner}/{repo}/pulls: open a pull request, a draft one with `draft: true`."""
    repo = ctx.repo(write=True)
    body = ctx.json(CREATE_PULL)
    for name in ("head", "base"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise validation_failed("PullRequest", name, "missing_field")
    head_owner, _, head_ref = str(body["head"]).rpartition(":")
    base_ref = str(body["base"])
    if (head_owner and head_owner != repo.owner) or head_ref not in repo.git.branches:
        raise validation_failed("PullRequest", "head", "invalid")
    if base_ref not in repo.git.branches:
        raise validation_failed("PullRequest", "base", "invalid")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise validation_failed("PullRequest", "title", "missing_field")
    head_sha, base_sha = repo.git.branches[head_ref], repo.git.branches[base_ref]
    if head_sha in repo.git.ancestors(base_sha):
        raise _custom(f"No commits between {base_ref} and {head_ref}")
    for other in repo.issues.values():
        p = other.pull
        if p and other.state == "open" and p.head_ref == head_ref and p.base_ref == base_ref:
            raise _custom(f"A pull request already exists for {repo.owner}:{head_ref}.")
    now = ctx.state.now()
    item = Issue(
        id=ctx.state.new_id("issue"),
        number=repo.next_number(),
        title=title,
        body=body.get("body") if isinstance(body.get("body"), str) else None,
        user=ctx.login or "",
        created_at=now,
        updated_at=now,
        pull=PullFields(
            id=ctx.state.new_id("pull"),
            head_ref=head_ref,
            base_ref=base_ref,
            draft=body.get("draft") is True,
            maintainer_can_modify=body.get("maintainer_can_modify") is True,
        ),
    )
    repo.issues[item.number] = item
    repo.updated_at = now
    return ApiResponse(pull_full(ctx.base, ctx.state, repo, item, ctx.login), status=201)


def update_pull(ctx: Ctx) -> ApiResponse:
    """PATCH /repos/{owner}/{repo}/pulls/{number}: title, body, state, base."""
    repo = ctx.repo()
    item = _pull(ctx, repo)
    assert item.pull is not None
    body = ctx.json(UPDATE_PULL)
    apply_text(item, body, "PullRequest")
    if "base" in body:
        if body["base"] not in repo.git.branches:
            raise validation_failed("PullRequest", "base", "invalid")
        item.pull.base_ref = str(body["base"])
    if "maintainer_can_modify" in body:
        item.pull.maintainer_can_modify = body["maintainer_can_modify"] is True
    apply_state(ctx, repo, item, body.get("state"), None)
    item.updated_at = ctx.state.now()
    return ApiResponse(pull_full(ctx.base, ctx.state, repo, item, ctx.login))


def merge_pull(ctx: Ctx) -> ApiResponse:
    """PUT /repos/{owner}/{repo}/pulls/{number}/merge, refusing as GitHub does (405, 409, 422)."""
    repo = ctx.repo(write=True)
    item = _pull(ctx, repo)
    pull = item.pull
    assert pull is not None
    body = ctx.json(MERGE_PULL)
    method = body.get("merge_method", "merge")
    if method not in ("merge", "squash", "rebase"):
        raise validation_failed("PullRequest", "merge_method", "invalid")
    if item.state != "open" or pull.merged:
        raise ApiError(405, "Pull Request is not mergeable")
    if pull.draft:
        raise ApiError(405, "Pull Request is still a draft")
    head_sha = repo.head_sha(item)
    if body.get("sha") is not None and body.get("sha") != head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    if repo.git.merge_conflicts(pull.base_ref, head_sha):
        raise ApiError(405, "Pull Request is not mergeable")
    base_sha = repo.git.branches[pull.base_ref]
    changes = repo.git.changes_since(repo.git.merge_base(head_sha, base_sha), head_sha)
    files = {p: (repo.git.blobs[s] if s else None) for p, s in changes.items()}
    default_title = (
        f"Merge pull request #{item.number} from {repo.owner}/{pull.head_ref}"
        if method == "merge"
        else f"{item.title} (#{item.number})"
    )
    title = str(body.get("commit_title") or default_title)
    message = f"{title}\n\n{body.get('commit_message') or item.title}"
    user = ctx.state.users[ctx.login or ""]
    author = (user.name or user.login, user.email or f"{user.login}@users.noreply.github.com")
    parents = [base_sha, head_sha] if method == "merge" else [base_sha]
    now = ctx.state.now()
    merged = repo.git.commit(pull.base_ref, files, message, author, now, parents=parents)
    pull.merged, pull.merged_at, pull.merged_by = True, now, ctx.login
    pull.merge_commit_sha, pull.head_sha_at_close = merged.sha, head_sha
    item.state, item.closed_at, item.closed_by, item.updated_at = "closed", now, ctx.login, now
    repo.pushed_at = repo.updated_at = now
    return ApiResponse({"sha": merged.sha, "merged": True, "message": "Pull Request successfully merged"})


_MUTATION = re.compile(r"^\s*mutation\b[^{]*\{\s*markPullRequestReadyForReview\s*\(", re.S)


def _graphql_error(message: str, kind: str, path: list[str] | None = None) -> JsonObject:
    error: JsonObject = {"type": kind, "message": message, "locations": [{"line": 1, "column": 1}]}
    if path:
        error["path"] = path
    return error


def graphql(ctx: Ctx) -> ApiResponse:
    """POST /graphql: only `markPullRequestReadyForReview`, sent the way PyGithub sends it."""
    body = ctx.json(GRAPHQL)
    query = body.get("query")
    if not isinstance(query, str) or not _MUTATION.match(query):
        message = "The sandbox's GraphQL API supports only the markPullRequestReadyForReview mutation."
        return ApiResponse({"errors": [_graphql_error(message, "UNSUPPORTED")]})
    variables = body.get("variables") if isinstance(body.get("variables"), dict) else {}
    given = (variables or {}).get("input")
    args: JsonObject = given if isinstance(given, dict) else {}
    wanted = str(args.get("pullRequestId", ""))
    parsed = parse_node_id(wanted)
    for repo in ctx.state.repos.values():
        for item in repo.issues.values():
            if parsed and item.pull and ("PullRequest", item.pull.id) == parsed and ctx.can_see(repo):
                item.pull.draft = False
                item.updated_at = ctx.state.now()
                pr = {"isDraft": False, "id": wanted, "number": item.number}
                result = {"clientMutationId": args.get("clientMutationId"), "pullRequest": pr}
                return ApiResponse({"data": {"markPullRequestReadyForReview": result}})
    error = _graphql_error(
        f"Could not resolve to a node with the global id of '{wanted}'",
        "NOT_FOUND",
        ["markPullRequestReadyForReview"],
    )
    return ApiResponse({"data": {"markPullRequestReadyForReview": None}, "errors": [error]})


REPO = "/repos/{owner}/{repo}"
ROUTES = [
    Route(f"{REPO}/pulls", endpoint(list_pulls), methods=["GET"]),
    Route(f"{REPO}/pulls", endpoint(create_pull, auth="required"), methods=["POST"]),
    Route(f"{REPO}/pulls/{{number}}", endpoint(get_pull), methods=["GET"]),
    Route(f"{REPO}/pulls/{{number}}", endpoint(update_pull, auth="required"), methods=["PATCH"]),
    Route(f"{REPO}/pulls/{{number}}/merge", endpoint(merge_pull, auth="required"), methods=["PUT"]),
    Route("/graphql", endpoint(graphql, resource="graphql", auth="required"), methods=["POST"]),
]
