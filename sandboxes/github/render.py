"""GitHub's JSON shapes for the sandbox's objects, field for field as api.github.com sends them.

Every function takes `base`, the sandbox's own origin, so URLs in responses point back at it (PyGithub
follows some of them, e.g. `url` after a create).
"""

from __future__ import annotations

from charter.sandboxes.github.state import (
    Comment,
    GitHubState,
    Issue,
    Label,
    Repo,
    User,
    node_id,
)
from charter.schemas.types import JsonObject

_PERMISSION_ORDER = ["read", "triage", "write", "maintain", "admin"]


def simple_user(base: str, user: User) -> JsonObject:
    """A `simple-user`."""
    login = user.login
    api = f"{base}/users/{login}"
    return {
        "login": login,
        "id": user.id,
        "node_id": node_id("Organization" if user.type == "Organization" else "User", user.id),
        "avatar_url": f"{base}/avatars/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{base}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": user.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def private_user(base: str, state: GitHubState, user: User) -> JsonObject:
    """A `private-user`: the authenticated person, as GET /user returns them."""
    owned = [r for r in state.repos.values() if r.owner == user.login]
    return {
        **simple_user(base, user),
        "user_view_type": "private",
        "name": user.name,
        "company": user.company,
        "blog": "",
        "location": user.location,
        "email": user.email,
        "hireable": None,
        "bio": user.bio,
        "twitter_username": None,
        "notification_email": user.email,
        "public_repos": sum(1 for r in owned if not r.private),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": user.created_at,
        "updated_at": user.created_at,
        "private_gists": 0,
        "total_private_repos": sum(1 for r in owned if r.private),
        "owned_private_repos": sum(1 for r in owned if r.private),
        "disk_usage": 1024,
        "collaborators": 0,
        "two_factor_authentication": True,
        "plan": {"name": "pro", "space": 976562499, "private_repos": 9999, "collaborators": 0},
    }


def permissions(repo: Repo, login: str | None) -> JsonObject:
    """The `permissions` object of a repository for one person."""
    level = _PERMISSION_ORDER.index(repo.collaborators[login]) if login in repo.collaborators else -1
    return {
        "admin": level >= 4,
        "maintain": level >= 3,
        "push": level >= 2,
        "triage": level >= 1,
        "pull": level >= 0,
    }


# The `*_url` hypermedia templates of a repository, relative to its API URL.
_REPO_URLS = (
    ("archive", "{archive_format}{/ref}"),
    ("assignees", "assignees{/user}"),
    ("blobs", "git/blobs{/sha}"),
    ("branches", "branches{/branch}"),
    ("collaborators", "collaborators{/collaborator}"),
    ("comments", "comments{/number}"),
    ("commits", "commits{/sha}"),
    ("compare", "compare/{base}...{head}"),
    ("contents", "contents/{+path}"),
    ("contributors", "contributors"),
    ("deployments", "deployments"),
    ("downloads", "downloads"),
    ("events", "events"),
    ("forks", "forks"),
    ("git_commits", "git/commits{/sha}"),
    ("git_refs", "git/refs{/sha}"),
    ("git_tags", "git/tags{/sha}"),
    ("hooks", "hooks"),
    ("issue_comment", "issues/comments{/number}"),
    ("issue_events", "issues/events{/number}"),
    ("issues", "issues{/number}"),
    ("keys", "keys{/key_id}"),
    ("labels", "labels{/name}"),
    ("languages", "languages"),
    ("merges", "merges"),
    ("milestones", "milestones{/number}"),
    ("notifications", "notifications{?since,all,participating}"),
    ("pulls", "pulls{/number}"),
    ("releases", "releases{/id}"),
    ("stargazers", "stargazers"),
    ("statuses", "statuses/{sha}"),
    ("subscribers", "subscribers"),
    ("subscription", "subscription"),
    ("tags", "tags"),
    ("teams", "teams"),
    ("trees", "git/trees{/sha}"),
)


def repository(base: str, state: GitHubState, repo: Repo, login: str | None) -> JsonObject:
    """A `repository` (list items, and `head.repo` / `base.repo` of pull requests)."""
    api = f"{base}/repos/{repo.full_name}"
    html = f"{base}/{repo.full_name}"
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    urls = {f"{name}_url": f"{api}/{path}" for name, path in _REPO_URLS}
    host = base.split("://", 1)[-1]
    return {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": simple_user(base, state.users[repo.owner]),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "html_url": html,
        "description": repo.description,
        "fork": False,
        "url": api,
        **urls,
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host.split(':')[0]}:{repo.full_name}.git",
        "clone_url": f"{html}.git",
        "svn_url": html,
        "mirror_url": None,
        "homepage": None,
        "language": repo.language,
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "size": sum(len(b) for b in repo.git.blobs.values()) // 1024 + 1,
        "default_branch": repo.default_branch,
        "open_issues": open_issues,
        "open_issues_count": open_issues,
        "is_template": False,
        "topics": list(repo.topics),
        "has_issues": True,
        "has_projects": True,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "license": None,
        "allow_forking": False,
        "web_commit_signoff_required": False,
        "pushed_at": repo.pushed_at,
        "created_at": repo.created_at,
        "updated_at": repo.updated_at,
        "permissions": permissions(repo, login),
    }


def full_repository(base: str, state: GitHubState, repo: Repo, login: str | None) -> JsonObject:
    """A `full-repository` (GET /repos/{owner}/{repo})."""
    out = repository(base, state, repo, login)
    owner = state.users[repo.owner]
    out.update(
        {
            "network_count": 0,
            "subscribers_count": len(repo.collaborators),
            "allow_merge_commit": True,
            "allow_squash_merge": True,
            "allow_rebase_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
        }
    )
    if owner.type == "Organization":
        out["organization"] = simple_user(base, owner)
    return out


def label(base: str, repo: Repo, lab: Label) -> JsonObject:
    """A `label`."""
    return {
        "id": lab.id,
        "node_id": node_id("Label", lab.id),
        "url": f"{base}/repos/{repo.full_name}/labels/{lab.name.replace(' ', '%20')}",
        "name": lab.name,
        "color": lab.color,
        "default": lab.default,
        "description": lab.description,
    }


def _reactions(url: str) -> JsonObject:
    counts = dict.fromkeys(["+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"], 0)
    return {"url": f"{url}/reactions", "total_count": 0, **counts}


def author_association(repo: Repo, login: str) -> str:
    """How the author relates to the repository, as GitHub labels it."""
    if login == repo.owner:
        return "OWNER"
    return "MEMBER" if login in repo.collaborators else "NONE"


def _user_or_none(base: str, state: GitHubState, login: str | None) -> JsonObject | None:
    return simple_user(base, state.users[login]) if login and login in state.users else None


def issue(base: str, state: GitHubState, repo: Repo, item: Issue) -> JsonObject:
    """An `issue`; pull requests carry the `pull_request` key, as in GitHub's issue lists."""
    api = f"{base}/repos/{repo.full_name}/issues/{item.number}"
    assignees = [simple_user(base, state.users[a]) for a in item.assignees if a in state.users]
    out: JsonObject = {
        "url": api,
        "repository_url": f"{base}/repos/{repo.full_name}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{base}/{repo.full_name}/{'pull' if item.pull else 'issues'}/{item.number}",
        "id": item.id,
        "node_id": node_id("Issue", item.id),
        "number": item.number,
        "title": item.title,
        "user": _user_or_none(base, state, item.user),
        "labels": [label(base, repo, repo.labels[n]) for n in item.labels if n in repo.labels],
        "state": item.state,
        "locked": item.locked,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": None,
        "comments": len(repo.comments_on(item.number)),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        "author_association": author_association(repo, item.user),
        "active_lock_reason": None,
        "body": item.body,
        "closed_by": _user_or_none(base, state, item.closed_by),
        "reactions": _reactions(api),
        "timeline_url": f"{api}/timeline",
        "performed_via_github_app": None,
        "state_reason": item.state_reason,
    }
    if item.pull is not None:
        pulls = f"{base}/repos/{repo.full_name}/pulls/{item.number}"
        out["draft"] = item.pull.draft
        out["pull_request"] = {
            "url": pulls,
            "html_url": f"{base}/{repo.full_name}/pull/{item.number}",
            "diff_url": f"{base}/{repo.full_name}/pull/{item.number}.diff",
            "patch_url": f"{base}/{repo.full_name}/pull/{item.number}.patch",
            "merged_at": item.pull.merged_at,
        }
    return out


def comment(base: str, state: GitHubState, repo: Repo, c: Comment) -> JsonObject:
    """An `issue-comment`."""
    api = f"{base}/repos/{repo.full_name}/issues/comments/{c.id}"
    kind = "pull" if repo.issues[c.issue_number].pull else "issues"
    return {
        "url": api,
        "html_url": f"{base}/{repo.full_name}/{kind}/{c.issue_number}#issuecomment-{c.id}",
        "issue_url": f"{base}/repos/{repo.full_name}/issues/{c.issue_number}",
        "id": c.id,
        "node_id": node_id("IssueComment", c.id),
        "user": _user_or_none(base, state, c.user),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "author_association": author_association(repo, c.user),
        "body": c.body,
        "reactions": _reactions(api),
        "performed_via_github_app": None,
    }
