"""GitHub REST: the authenticated user, repositories, contents, git refs and branches."""

from __future__ import annotations

import base64

from starlette.routing import Route

from charter.sandboxes.github import render, render_git
from charter.sandboxes.github.api import ApiError, ApiResponse, Ctx, Shape, endpoint, not_found
from charter.sandboxes.github.git import Commit, tree_sha
from charter.sandboxes.github.media import file_html
from charter.sandboxes.github.state import Repo

# Files under this folder are Actions workflows: changing them takes the `workflow` scope.
WORKFLOWS = ".github/workflows/"


def get_user(ctx: Ctx) -> ApiResponse:
    """GET /user."""
    assert ctx.login is not None
    return ApiResponse(render.private_user(ctx.base, ctx.state, ctx.state.users[ctx.login]))


def _affiliated(ctx: Ctx, repo: Repo, affiliation: set[str]) -> bool:
    owner = ctx.state.users[repo.owner]
    if repo.owner == ctx.login:
        return "owner" in affiliation
    if owner.type == "Organization":
        return "organization_member" in affiliation or "collaborator" in affiliation
    return "collaborator" in affiliation


def list_user_repos(ctx: Ctx) -> ApiResponse:
    """GET /user/repos: repositories the caller can see, with GitHub's filters and sort."""
    q = ctx.query
    if "type" in q and ("visibility" in q or "affiliation" in q):
        raise ApiError(422, "If you specify visibility or affiliation, you cannot specify type.")
    visibility = q.get("visibility", "all")
    affiliation = set(q.get("affiliation", "owner,collaborator,organization_member").split(","))
    kind = q.get("type", "all")
    if kind == "owner":
        affiliation = {"owner"}
    elif kind == "member":
        affiliation = {"collaborator", "organization_member"}
    elif kind in ("public", "private"):
        visibility = kind
    repos = [
        r
        for r in ctx.state.repos.values()
        if ctx.login in r.collaborators
        and ctx.can_see(r)
        and visibility in ("all", "private" if r.private else "public")
        and _affiliated(ctx, r, affiliation)
    ]
    sort = q.get("sort", "full_name")
    keys = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}
    default_dir = "asc" if sort == "full_name" else "desc"
    reverse = q.get("direction", default_dir) == "desc"
    if sort in keys:
        repos.sort(key=lambda r: str(getattr(r, keys[sort])), reverse=reverse)
    else:
        repos.sort(key=lambda r: r.full_name.lower(), reverse=reverse)
    page, links = ctx.paginate(repos)
    body = [render.repository(ctx.base, ctx.state, r, ctx.login) for r in page]
    return ApiResponse(body, headers=links)


def get_repo(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}."""
    repo = ctx.repo()
    return ApiResponse(render.full_repository(ctx.base, ctx.state, repo, ctx.login))


def _commit_for(repo: Repo, ref: str | None) -> tuple[str, Commit]:
    name = ref or repo.default_branch
    commit = repo.git.resolve(name)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {name}")
    return name, commit


def get_contents(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/contents/{path}: a file (base64) or a directory listing."""
    repo = ctx.repo()
    path = ctx.request.path_params.get("path", "").strip("/")
    ref, commit = _commit_for(repo, ctx.query.get("ref"))
    media = ctx.media
    if media.param in ("diff", "patch", "sha"):
        raise ctx.unsupported_media()
    if path in commit.tree:
        sha = commit.tree[path]
        blob = repo.git.blobs[sha]
        # `raw` (with or without +json) is the file's bytes, `html` its rendering; directories stay JSON.
        if media.param in ("raw", "html"):
            headers = {"content-type": media.content_type(), "x-github-media-type": media.header()}
            return ApiResponse(blob if media.param == "raw" else file_html(path, blob), headers=headers)
        return ApiResponse(render_git.content_file(ctx.base, repo, path, ref, sha, blob))
    prefix = f"{path}/" if path else ""
    children: dict[str, str] = {}
    for file_path, sha in commit.tree.items():
        if file_path.startswith(prefix):
            head, sep, _ = file_path[len(prefix) :].partition("/")
            children[prefix + head] = "dir" if sep else sha
    if not children:
        raise not_found()
    listing = []
    for child, sha_or_dir in sorted(children.items()):
        if sha_or_dir == "dir":
            sub = {p: s for p, s in commit.tree.items() if p.startswith(child + "/")}
            listing.append(render_git.content_entry(ctx.base, repo, child, ref, tree_sha(sub), 0, "dir"))
        else:
            size = len(repo.git.blobs[sha_or_dir])
            listing.append(render_git.content_entry(ctx.base, repo, child, ref, sha_or_dir, size, "file"))
    return ApiResponse(listing)


def _required(body: dict[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ApiError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')
    return value


PUT_CONTENTS: Shape = {
    "message": "string", "content": "string", "sha": "string", "branch": "string",
    "committer": "object", "author": "object",
}  # fmt: skip
PUT_CONTENTS_DOCS = "https://docs.github.com/rest/repos/contents#create-or-update-file-contents"


def put_contents(ctx: Ctx) -> ApiResponse:
    """PUT /repos/{owner}/{repo}/contents/{path}: create or update one file with a commit."""
    repo = ctx.repo(write=True)
    path = ctx.param("path").strip("/")
    if path.startswith(WORKFLOWS) and "workflow" not in ctx.scopes:
        # GitHub refuses an OAuth token without `workflow` to change Actions workflows, as a 404.
        raise not_found()
    body = ctx.json(PUT_CONTENTS)
    message = _required(body, "message")
    try:
        content = base64.b64decode(_required(body, "content"), validate=True)
    except ValueError:  # binascii.Error, and text that is not even ASCII
        raise ApiError(422, "content is not valid Base64", documentation_url=PUT_CONTENTS_DOCS) from None
    branch = str(body.get("branch") or repo.default_branch)
    if branch not in repo.git.branches:
        raise ApiError(404, f"Branch {branch} not found")
    head = repo.git.commits[repo.git.branches[branch]]
    existing = head.tree.get(path)
    given_sha = body.get("sha")
    if existing is not None and given_sha is None:
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    if existing is not None and given_sha != existing:
        raise ApiError(409, f"{path} does not match {given_sha}")
    commit = repo.git.commit(branch, {path: content}, message, _author(ctx, body), ctx.state.now())
    repo.pushed_at = repo.updated_at = commit.date
    sha = commit.tree[path]
    entry = render_git.content_entry(ctx.base, repo, path, branch, sha, len(content), "file")
    result = {"content": entry, "commit": render_git.git_commit_summary(ctx.base, repo, commit)}
    return ApiResponse(result, status=200 if existing is not None else 201)


def _author(ctx: Ctx, body: dict[str, object]) -> tuple[str, str]:
    given = body.get("author") or body.get("committer")
    if isinstance(given, dict) and isinstance(given.get("name"), str) and isinstance(given.get("email"), str):
        return given["name"], given["email"]
    user = ctx.state.users[ctx.login or ""]
    return user.name or user.login, user.email or f"{user.login}@users.noreply.github.com"


def get_ref(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/git/ref/{ref}: one branch reference."""
    repo = ctx.repo()
    ref = ctx.param("ref").removeprefix("refs/")
    name = ref.removeprefix("heads/")
    if not ref.startswith("heads/") or name not in repo.git.branches:
        raise not_found()
    return ApiResponse(render_git.git_ref(ctx.base, repo, name, repo.git.branches[name]))


def get_refs(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/git/refs/{ref}: the exact reference, or every one it prefixes."""
    repo = ctx.repo()
    ref = ctx.param("ref").removeprefix("refs/")
    if ref.startswith("heads/") and ref.removeprefix("heads/") in repo.git.branches:
        return get_ref(ctx)
    matching = [
        render_git.git_ref(ctx.base, repo, name, sha)
        for name, sha in sorted(repo.git.branches.items())
        if f"heads/{name}".startswith(ref)
    ]
    if not matching:
        raise not_found()
    return ApiResponse(matching)


def create_ref(ctx: Ctx) -> ApiResponse:
    """POST /repos/{owner}/{repo}/git/refs: create a branch at a commit."""
    repo = ctx.repo(write=True)
    body = ctx.json({"ref": "string", "sha": "string"})
    ref, sha = _required(body, "ref"), _required(body, "sha")
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if not ref.startswith("refs/heads/"):
        raise ApiError(422, "The sandbox supports branch references (refs/heads/...) only.")
    name = ref.removeprefix("refs/heads/")
    if name in repo.git.branches:
        raise ApiError(422, "Reference already exists")
    if sha not in repo.git.commits:
        raise ApiError(422, "Object does not exist")
    repo.git.branches[name] = sha
    return ApiResponse(render_git.git_ref(ctx.base, repo, name, sha), status=201)


def get_branch(ctx: Ctx) -> ApiResponse:
    """GET /repos/{owner}/{repo}/branches/{branch}."""
    repo = ctx.repo()
    name = ctx.param("branch")
    if name not in repo.git.branches:
        raise ApiError(404, "Branch not found")
    commit = repo.git.commits[repo.git.branches[name]]
    api = f"{ctx.base}/repos/{repo.full_name}/branches/{name}"
    body = {
        "name": name,
        "commit": render_git.commit(ctx.base, ctx.state, repo, commit),
        "_links": {"self": api, "html": f"{ctx.base}/{repo.full_name}/tree/{name}"},
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": f"{api}/protection",
    }
    return ApiResponse(body)


REPO = "/repos/{owner}/{repo}"
ROUTES = [
    Route("/user", endpoint(get_user, scopes="", auth="required"), methods=["GET"]),
    Route("/user/repos", endpoint(list_user_repos, scopes="", auth="required"), methods=["GET"]),
    Route(REPO, endpoint(get_repo), methods=["GET"]),
    Route(f"{REPO}/contents", endpoint(get_contents), methods=["GET"]),
    Route(f"{REPO}/contents/{{path:path}}", endpoint(get_contents), methods=["GET"]),
    Route(f"{REPO}/contents/{{path:path}}", endpoint(put_contents, auth="required"), methods=["PUT"]),
    Route(f"{REPO}/git/ref/{{ref:path}}", endpoint(get_ref), methods=["GET"]),
    Route(f"{REPO}/git/refs/{{ref:path}}", endpoint(get_refs), methods=["GET"]),
    Route(f"{REPO}/git/refs", endpoint(create_ref, auth="required"), methods=["POST"]),
    Route(f"{REPO}/branches/{{branch:path}}", endpoint(get_branch), methods=["GET"]),
]
