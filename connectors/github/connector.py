"""The GitHub connector: repositories, issues, pull requests, comments and files, over PyGithub."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel

from charter.auth.providers import GITHUB
from charter.connectors.base import (
    ActionSpec,
    Attribution,
    Connector,
    DraftPreview,
    Reach,
    WriteContext,
    action,
)
from charter.connectors.github.client import GitHubApi, Params, next_page, translate_errors
from charter.connectors.github.cursors import encode_cursor, page_of
from charter.connectors.github.markers import carries, committed_body, marker, visible_body
from charter.connectors.github.models import (
    CloseIssue,
    Comment,
    CommitFile,
    CreateBranch,
    CreateIssue,
    FileContent,
    GetFile,
    GetIssue,
    GetPullRequest,
    GetRepo,
    Issue,
    IssueComment,
    ListComments,
    ListIssues,
    ListPullRequests,
    ListRepoComments,
    ListRepos,
    MergePullRequest,
    OpenPullRequest,
    PullRequest,
    Repository,
    SearchIssues,
    is_workflow_file,
)
from charter.connectors.github.responses import (
    check_mergeable,
    comment_from,
    decoded,
    file_from,
    iso_utc,
    issue_from,
    pull_digest,
    pull_request_from,
    repo_comment_from,
    repo_of,
    repository_from,
)
from charter.connectors.paging import PageTrail
from charter.schemas import (
    CharterError,
    Conflict,
    NotFound,
    Page,
    ScopeMissing,
    ValidationError,
    WriteResult,
)
from charter.schemas.types import JsonValue

REPO = ("repo",)
# GitHub's own scope for changing Actions workflows; `repo` alone gets a 404 there.
WORKFLOW = "workflow"
SHA = re.compile(r"^[0-9a-f]{40}$")
# A listing of issues skips at most this many pages holding only pull requests in one call.
MAX_SKIPPED_PAGES = 10


class GitHubConnector(Connector):
    """GitHub repositories, issues, pull requests, comments and files, for agents acting for a person."""

    name = "github"
    provider = "github"
    display_name: ClassVar[str] = "GitHub"
    # GitHub ends a REST request that runs longer than 10 s; after that an unanswered write has
    # either happened or never will, and looking for its marker is conclusive.
    commit_window = 10.0

    @cached_property
    def api(self) -> GitHubApi:
        """The REST client for this connection, built on first use."""
        return GitHubApi(self.credentials, self.base_url, timeout=self.request_timeout)

    # -- read ------------------------------------------------------------------------------

    @action("read", scopes=REPO)
    def list_repos(self, request: ListRepos) -> Page[Repository]:
        """List repositories the connected account owns, collaborates on or sees through its organizations."""
        params: dict[str, str | int] = {
            "affiliation": ",".join(request.affiliation),
            "per_page": request.per_page,
        }
        items, cursor = self._page("your repositories", "/user/repos", params, request)
        return Page[Repository](items=[repository_from(d) for d in items], next_cursor=cursor)

    @action("read", scopes=REPO)
    def get_repo(self, request: GetRepo) -> Repository:
        """Get one repository: visibility, default branch, description."""
        with self._about(f"repository {request.repo}"):
            data, _ = self.api.get(f"/repos/{request.repo}")
        return repository_from(data)

    @action("read", scopes=REPO)
    def list_issues(self, request: ListIssues) -> Page[Issue]:
        """List issues of a repository (pull requests excluded), newest first; filter by state and labels."""
        params: dict[str, str | int] = {"state": request.state, "per_page": request.per_page}
        if request.labels:
            params["labels"] = ",".join(request.labels)
        subject, path = f"repository {request.repo}", f"/repos/{request.repo}/issues"
        page = page_of(request)
        trail = PageTrail("GitHub", subject)
        # GitHub lists pull requests among issues; a page of only pull requests is skipped rather
        # than handed back empty with a cursor, which reads as "nothing here" to an agent.
        for _ in range(MAX_SKIPPED_PAGES):
            with self._about(subject):
                items, next_page = self.api.get_page(path, params, page)
            issues = [issue_from(request.repo, d) for d in items if "pull_request" not in d]
            if issues or next_page is None:
                break
            trail.follow(next_page)
            page = next_page
        self._confirm_token_scopes(subject)
        cursor = encode_cursor(request, next_page) if next_page else None
        return Page[Issue](items=issues, next_cursor=cursor)

    policy_facts: ClassVar[dict[str, dict[str, type[BaseModel]]]] = {
        "comment": {"issue": Issue},
        "close_issue": {"issue": Issue},
    }

    def facts_for(self, spec: ActionSpec, request: BaseModel) -> dict[str, BaseModel]:
        """The issue a comment or a close acts on, so a rule can read its labels and state."""
        if spec.name not in self.policy_facts or not isinstance(request, Comment | CloseIssue):
            return {}
        return {"issue": self.get_issue(GetIssue(repo=request.repo, number=request.number))}

    @action("read", scopes=REPO)
    def get_issue(self, request: GetIssue) -> Issue:
        """Get one issue with its body, labels and state."""
        with self._about(f"issue {request.repo}#{request.number}"):
            data, _ = self.api.get(f"/repos/{request.repo}/issues/{request.number}")
        return issue_from(request.repo, data)

    @action("read", scopes=REPO)
    def list_pull_requests(self, request: ListPullRequests) -> Page[PullRequest]:
        """List pull requests of a repository, optionally only those into one base branch."""
        params: dict[str, str | int] = {"state": request.state, "per_page": request.per_page}
        if request.base:
            params["base"] = request.base
        items, cursor = self._page(
            f"repository {request.repo}", f"/repos/{request.repo}/pulls", params, request
        )
        return Page[PullRequest](
            items=[pull_request_from(request.repo, d) for d in items], next_cursor=cursor
        )

    @action("read", scopes=REPO)
    def get_pull_request(self, request: GetPullRequest) -> PullRequest:
        """Get one pull request: branches, draft and merge state, description."""
        with self._about(f"pull request {request.repo}#{request.number}"):
            data, _ = self.api.get(f"/repos/{request.repo}/pulls/{request.number}")
        return pull_request_from(request.repo, data)

    @action("read", scopes=REPO)
    def list_comments(self, request: ListComments) -> Page[IssueComment]:
        """List the conversation comments of an issue or pull request, oldest first."""
        path = f"/repos/{request.repo}/issues/{request.number}/comments"
        subject = f"issue {request.repo}#{request.number}"
        items, cursor = self._page(subject, path, {"per_page": request.per_page}, request)
        comments = [comment_from(request.repo, request.number, d) for d in items]
        return Page[IssueComment](items=comments, next_cursor=cursor)

    @action("read", scopes=REPO)
    def list_repo_comments(self, request: ListRepoComments) -> Page[IssueComment]:
        """Comments on every issue and pull request of a repository, oldest first; `since` for new ones."""
        params: dict[str, str | int] = {"sort": "created", "direction": "asc", "per_page": request.per_page}
        if request.since is not None:
            params["since"] = iso_utc(request.since)
        path = f"/repos/{request.repo}/issues/comments"
        items, cursor = self._page(f"repository {request.repo}", path, params, request)
        return Page[IssueComment](
            items=[repo_comment_from(request.repo, d) for d in items], next_cursor=cursor
        )

    @action("read", scopes=REPO)
    def get_file(self, request: GetFile) -> FileContent:
        """Read a text file of a repository at a branch, tag or commit; returns its text and blob sha."""
        subject = f"file {request.path} in {request.repo}" + (f" at {request.ref}" if request.ref else "")
        with self._about(subject):
            data, _ = self.api.get(self._contents_path(request.repo, request.path), self._ref(request.ref))
        return file_from(request.repo, request.path, request.ref, data)

    @action("read", scopes=REPO)
    def search_issues(self, request: SearchIssues) -> Page[Issue]:
        """Search issues and pull requests of one repository (GitHub query syntax, with repo:owner/name)."""
        params: dict[str, str | int] = {"q": request.search_query, "per_page": request.per_page}
        items, cursor = self._page(f"a search in {request.repo}", "/search/issues", params, request)
        return Page[Issue](
            items=[issue_from(repo_of(d) or request.repo, d) for d in items], next_cursor=cursor
        )

    # -- draft -----------------------------------------------------------------------------

    @action("draft", scopes=REPO, commits="create_issue", reaches="person")
    def draft_issue(self, change: CreateIssue, attribution: Attribution | None) -> DraftPreview:
        """Draft a new issue for review; nothing appears on GitHub until the draft is written."""
        self.get_repo(GetRepo(repo=change.repo))
        labels = ", ".join(change.labels) or "(none)"
        heading = f"New issue in {change.repo}\nTitle: {change.title}\nLabels: {labels}"
        return DraftPreview(preview=f"{heading}\n\n{visible_body(change.body, attribution)}".rstrip())

    @action("draft", scopes=REPO, commits="comment", reaches="person")
    def draft_comment(self, change: Comment, attribution: Attribution | None) -> DraftPreview:
        """Draft a comment on an issue or pull request for review; nothing is posted until it is written."""
        issue = self.get_issue(GetIssue(repo=change.repo, number=change.number))
        heading = f"Comment on {change.repo}#{change.number} ({issue.title})"
        return DraftPreview(
            preview=f"{heading}\n\n{visible_body(change.body, attribution)}", url=issue.provenance.url
        )

    @action("draft", scopes=REPO, commits="open_pull_request", reaches="person")
    def draft_pull_request(self, change: OpenPullRequest, attribution: Attribution | None) -> DraftPreview:
        """Draft a pull request for review; nothing appears on GitHub until the draft is written.

        Held in Charter's store: a GitHub draft pull request is seen by everyone who can read the
        repository, so opening one is a write.
        """
        with self._about(f"branches {change.head} and {change.base} of {change.repo}"):
            for ref in (change.head, change.base):
                self.api.get(f"/repos/{change.repo}/branches/{quote(ref, safe='/')}")
        body = visible_body(change.body, attribution)
        heading = f"New pull request in {change.repo}: {change.head} → {change.base}"
        return DraftPreview(preview=f"{heading}\nTitle: {change.title}\n\n{body}".rstrip())

    # -- write -----------------------------------------------------------------------------

    @action("write", scopes=REPO, risks=("external",), reaches="public")
    def create_issue(self, change: CreateIssue, ctx: WriteContext) -> WriteResult:
        """Open an issue in a repository; the body ends with a line saying which agent wrote it."""
        with self._about(f"repository {change.repo}"):
            data = self._issue_written_by(change, ctx) if ctx.is_retry else None
            if data is None:
                body = committed_body(change.body, ctx.attribution, ctx.idempotency_key)
                fields = {"title": change.title, "body": body, "labels": change.labels}
                data = self.api.send("POST", f"/repos/{change.repo}/issues", fields)
        return self._result("create_issue", ctx, f"{change.repo}#{data['number']}", data, "opened issue")

    @action("write", scopes=REPO, risks=("external",), reaches="public")
    def comment(self, change: Comment, ctx: WriteContext) -> WriteResult:
        """Post a comment on an issue or pull request; it ends with a line saying which agent wrote it."""
        path = f"/repos/{change.repo}/issues/{change.number}/comments"
        with self._about(f"issue {change.repo}#{change.number}"):
            data = self._comment_written_by(path, ctx) if ctx.is_retry else None
            if data is None:
                body = committed_body(change.body, ctx.attribution, ctx.idempotency_key)
                data = self.api.send("POST", path, {"body": body})
        target = f"{change.repo}#{change.number}"
        return self._result("comment", ctx, f"{target}/comment:{data['id']}", data, f"commented on {target}")

    @action("write", scopes=REPO, risks=("external", "hides"), reaches="public")
    def close_issue(self, change: CloseIssue, ctx: WriteContext) -> WriteResult:
        """Close an issue as completed or not planned."""
        fields = {"state": "closed", "state_reason": change.state_reason}
        with self._about(f"issue {change.repo}#{change.number}"):
            data = self.api.send("PATCH", f"/repos/{change.repo}/issues/{change.number}", fields)
        target = f"{change.repo}#{change.number}"
        return self._result("close_issue", ctx, target, data, f"closed {target} ({change.state_reason})")

    @action("write", scopes=REPO, reaches="public")
    def create_branch(self, change: CreateBranch, ctx: WriteContext) -> WriteResult:
        """Create a branch from another branch (the default branch when none is named)."""
        source = change.from_ref or self.get_repo(GetRepo(repo=change.repo)).default_branch
        if SHA.match(source):
            sha = source
        else:
            with self._about(f"branch {source} of {change.repo}"):
                sha = self.api.get(self._ref_path(change.repo, source))[0]["object"]["sha"]
        subject = f"branch {change.branch} of {change.repo}"
        existing = (
            self._maybe_get(subject, self._ref_path(change.repo, change.branch)) if ctx.is_retry else None
        )
        if existing is None or existing["object"]["sha"] != sha:
            with self._about(subject):
                ref = {"ref": f"refs/heads/{change.branch}", "sha": sha}
                self.api.send("POST", f"/repos/{change.repo}/git/refs", ref)
        return WriteResult(
            action="create_branch",
            id=f"{change.repo}:{change.branch}",
            idempotency_key=ctx.idempotency_key,
            summary=f"created branch {change.branch} from {source} at {sha[:7]}",
        )

    @action("write", scopes=REPO, risks=("rewrites",), reaches="public")
    def commit_file(self, change: CommitFile, ctx: WriteContext) -> WriteResult:
        """Create or replace one text file on a branch in a single commit with the given message."""
        path = self._contents_path(change.repo, change.path)
        subject = f"file {change.path} on branch {change.branch} of {change.repo}"
        current = self._maybe_get(subject, path, self._ref(change.branch))
        if isinstance(current, list) or (current is not None and current.get("type") != "file"):
            raise ValidationError(f"{change.path} in {change.repo} is not a file; choose a file path.")
        if ctx.is_retry and current is not None and decoded(current) == change.content.encode():
            return self._file_result(change, ctx, current, None)
        message = change.message + (f"\n\n{ctx.attribution.line()}" if ctx.attribution else "")
        fields = {
            "message": message,
            "content": base64.b64encode(change.content.encode()).decode(),
            "branch": change.branch,
            **({"sha": current["sha"]} if current is not None else {}),
        }
        with self._about(subject):
            data = self.api.send("PUT", path, fields)
        return self._file_result(change, ctx, data["content"], data.get("commit", {}).get("sha"))

    @action("write", scopes=REPO, risks=("external",), reaches="public")
    def open_pull_request(self, change: OpenPullRequest, ctx: WriteContext) -> WriteResult:
        """Open a pull request from a head branch into a base branch (or mark its draft ready for review)."""
        subject = f"a pull request from {change.head} into {change.base} in {change.repo}"
        with self._about(subject):
            if ctx.draft is not None and ctx.draft.native_ref:
                data = self._ready_for_review(change.repo, int(ctx.draft.native_ref), ctx.draft.native_digest)
            else:
                data = self._open_pull_between(change) if ctx.is_retry else None
                if data is None or not carries(data.get("body"), ctx.idempotency_key):
                    body = committed_body(change.body, ctx.attribution, ctx.idempotency_key)
                    data = self.api.send("POST", f"/repos/{change.repo}/pulls", pull_fields(change, body))
        target = f"{change.repo}#{data['number']}"
        return self._result("open_pull_request", ctx, target, data, f"opened pull request {target}")

    @action("write", scopes=REPO, risks=("destructive", "rewrites"), reaches="public")
    def merge_pull_request(self, change: MergePullRequest, ctx: WriteContext) -> WriteResult:
        """Merge a pull request by merge, squash or rebase; refused for drafts and closed pull requests."""
        target = f"{change.repo}#{change.number}"
        with self._about(f"pull request {target}"):
            pull, _ = self.api.get(f"/repos/{change.repo}/pulls/{change.number}")
            if pull.get("merged") and ctx.is_retry:
                sha = str(pull.get("merge_commit_sha"))
            else:
                check_mergeable(target, pull, change.expected_head_sha)
                fields = {"merge_method": change.merge_method, "sha": pull["head"]["sha"]}
                merged = self.api.send("PUT", f"/repos/{change.repo}/pulls/{change.number}/merge", fields)
                sha = str(merged["sha"])
        return WriteResult(
            action="merge_pull_request",
            id=sha,
            url=pull.get("html_url"),
            idempotency_key=ctx.idempotency_key,
            summary=f"merged {target} by {change.merge_method} as {sha[:7]}",
        )

    def where_to_look(self, spec: ActionSpec, key: str) -> str:
        """Issues, comments and pull requests Charter writes carry the key in a hidden marker."""
        return (
            f"look in the repository for an issue, comment or pull request whose body holds "
            f"`{marker(key)}` (visible in the raw Markdown)"
        )

    def reach_for(self, spec: ActionSpec, request: BaseModel) -> Reach | None:
        """A write reaches everyone who can read its repository: the public when it is public.

        Branches, commits, issues, comments and pull requests (draft or not) are all seen there.
        A repository that cannot be read is taken as public.
        """
        if spec.verb != "write" or spec.reach is None:
            return spec.reach
        repo = getattr(request, "repo", None)
        if not isinstance(repo, str):
            return spec.reach
        try:
            private = bool(self.read(GetRepo(repo=repo)).private)
        except CharterError:
            return "public"
        return "domain" if private else "public"

    def scopes_for(self, spec: ActionSpec, request: BaseModel) -> tuple[str, ...]:
        """`repo`, and `workflow` as well to change a file under `.github/workflows/`.

        Workflows run with the repository's secrets, so GitHub asks for that scope apart, and
        answers 404 without it; Charter says which scope is missing before sending anything.
        """
        if isinstance(request, CommitFile) and is_workflow_file(request.path):
            return (*spec.scopes, WORKFLOW)
        return spec.scopes

    # -- plumbing --------------------------------------------------------------------------

    def _about(self, subject: str) -> AbstractContextManager[None]:
        return translate_errors(subject, self.credentials.granted_scopes)

    def _page(
        self, subject: str, path: str, params: Params, request: BaseModel
    ) -> tuple[list[JsonValue], str | None]:
        page = page_of(request)
        with self._about(subject):
            items, next_page = self.api.get_page(path, params, page)
        self._confirm_token_scopes(subject)
        return items, encode_cursor(request, next_page) if next_page else None

    def _confirm_token_scopes(self, subject: str) -> None:
        # A listing without `repo` does not fail on GitHub: it silently leaves out every private
        # repository. Refuse rather than hand back a partial answer that looks complete.
        reported = self.api.token_scopes()
        missing = [] if reported is None else sorted(GITHUB.missing_scopes(reported, REPO))
        if missing:
            raise ScopeMissing(
                f"GitHub says this connection's token lacks {', '.join(missing)}, so listing {subject} "
                "would leave out private repositories; connect GitHub again and approve it.",
                missing=missing,
            )

    def _maybe_get(self, subject: str, path: str, params: Params | None = None) -> JsonValue | None:
        try:
            with self._about(subject):
                return self.api.get(path, params)[0]
        except NotFound:
            return None

    @staticmethod
    def _contents_path(repo: str, path: str) -> str:
        return f"/repos/{repo}/contents/{quote(path)}"

    @staticmethod
    def _ref_path(repo: str, branch: str) -> str:
        return f"/repos/{repo}/git/ref/heads/{quote(branch)}"

    @staticmethod
    def _ref(ref: str | None) -> Params | None:
        return {"ref": ref} if ref else None

    def _issue_written_by(self, change: CreateIssue, ctx: WriteContext) -> JsonValue | None:
        """The issue a lost earlier attempt opened, among the newest by this account."""
        params = {"creator": self.api.login(), "state": "all", "sort": "created", "direction": "desc"}
        recent, _ = self.api.get_page(f"/repos/{change.repo}/issues", {**params, "per_page": 30}, 1)
        return _first(recent, lambda d: carries(d.get("body"), ctx.idempotency_key))

    def _comment_written_by(self, path: str, ctx: WriteContext) -> JsonValue | None:
        """The comment a lost earlier attempt posted: it would be on the last page."""
        data, headers = self.api.get(path, {"per_page": 100})
        last = next_page(headers.get("link"), "last")
        if last is not None:
            data, _ = self.api.get(path, {"per_page": 100, "page": last})
        return _first(reversed(data), lambda d: carries(d.get("body"), ctx.idempotency_key))

    def _open_pull_between(self, change: OpenPullRequest) -> JsonValue | None:
        owner = change.repo.split("/")[0]
        params: dict[str, str | int] = {"head": f"{owner}:{change.head}", "base": change.base, "per_page": 10}
        pulls, _ = self.api.get_page(f"/repos/{change.repo}/pulls", params, 1)
        return _first(pulls, lambda d: d["head"]["ref"] == change.head and d["base"]["ref"] == change.base)

    def _ready_for_review(self, repo: str, number: int, reviewed: str | None) -> JsonValue:
        pull, _ = self.api.get(f"/repos/{repo}/pulls/{number}")
        if pull.get("state") != "open":
            raise Conflict(
                f"draft pull request {repo}#{number} was closed; draft a new one to reopen the work."
            )
        if pull.get("draft"):
            # Marked ready only as reviewed: an edit or a new commit since must not ride on the approval.
            if reviewed is None or pull_digest(pull) != reviewed:
                raise Conflict(
                    f"draft pull request {repo}#{number} was changed after it was reviewed (its title, "
                    "description, base or head commits); it was not marked ready. Draft it again and "
                    "have the new version reviewed."
                )
            self.api.mark_ready_for_review(pull)
        return dict(pull, draft=False)

    def _result(
        self, action_name: str, ctx: WriteContext, ident: str, data: JsonValue, summary: str
    ) -> WriteResult:
        return WriteResult(
            action=action_name,
            id=ident,
            url=data.get("html_url"),
            idempotency_key=ctx.idempotency_key,
            summary=summary,
        )

    def _file_result(
        self, change: CommitFile, ctx: WriteContext, content: JsonValue, commit: str | None
    ) -> WriteResult:
        return WriteResult(
            action="commit_file",
            id=f"{change.repo}:{change.branch}:{change.path}@{content['sha']}",
            url=content.get("html_url"),
            idempotency_key=ctx.idempotency_key,
            summary=f"committed {change.path} to {change.branch}" + (f" as {commit[:7]}" if commit else ""),
        )


def _first(items: Any, match: Callable[[JsonValue], bool]) -> JsonValue | None:
    return next((item for item in items if match(item)), None)


def pull_fields(change: OpenPullRequest, body: str) -> dict[str, str]:
    return {"title": change.title, "head": change.head, "base": change.base, "body": body}
