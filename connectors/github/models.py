"""GitHub request models (what an agent may ask) and resource models (what it gets back)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from charter.connectors.base import resource_field
from charter.schemas import Change, Resource

CONNECTOR = "github"

# GitHub logins: alphanumerics and single hyphens, up to 39; repository names: up to 100 of [A-Za-z0-9._-].
REPO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"
# A practical subset of git-check-ref-format: no spaces, control or special characters, no `..`.
BRANCH_PATTERN = r"^(?![/.])(?!.*(?:\.\.|//|@\{|/\.))[^\s~^:?*\[\\\x00-\x1f\x7f]{1,200}(?<![/.])(?<!\.lock)$"
PATH_PATTERN = r"^(?!/)(?!.*(?:^|/)\.\.?(?:/|$))[^\x00-\x1f]{1,1024}(?<!/)$"
# Leaves room below GitHub's 65,536-character body limit for the attribution footer.
MAX_BODY = 65_000
QUALIFIER = re.compile(r"(?:^|\s)(-?)(repo|org|user|owner):(\"[^\"]*\"|\S+)", re.IGNORECASE)

IssueState = Literal["open", "closed", "all"]
# GitHub's maximum: fewer, larger pages are the cheapest way through a listing.
MAX_PAGE = 100
PerPage = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Items per page, 1 to 100.")]
Number = Annotated[int, Field(gt=0, description="The issue or pull request number, e.g. 42.")]
Cursor = Annotated[
    str | None,
    Field(
        default=None, max_length=200, description="`next_cursor` of the previous page; omit for the first."
    ),
]
Label = Annotated[str, Field(min_length=1, max_length=50)]


def repo_field(description: str = "Repository as `owner/name`, e.g. `acme/web`.") -> Any:
    """The repository field of every repo-scoped request; grants constrain it as `repos=...`."""
    return resource_field("repos", description, pattern=REPO_PATTERN)


# Branch and path rules need look-arounds, which only Python's `re` offers.
_CONFIG = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")


class _Request(BaseModel):
    model_config = _CONFIG


class _RepoRequest(_Request):
    repo: str = repo_field()

    @field_validator("repo")
    @classmethod
    def _not_dot_names(cls, value: str) -> str:
        if value.split("/", 1)[1] in (".", ".."):
            raise ValueError("the repository name cannot be `.` or `..`")
        return value


class _RepoChange(Change):
    model_config = _CONFIG

    repo: str = repo_field()


# -- read requests -------------------------------------------------------------------------


class ListRepos(_Request):
    """Repositories the connected account can see."""

    affiliation: list[Literal["owner", "collaborator", "organization_member"]] = Field(
        default=["owner", "collaborator", "organization_member"],
        min_length=1,
        description="Which relationships to include: owner, collaborator, organization_member.",
    )
    per_page: PerPage = MAX_PAGE
    cursor: Cursor = None


class GetRepo(_RepoRequest):
    """One repository."""


class ListIssues(_RepoRequest):
    """Issues of a repository, pull requests excluded."""

    state: IssueState = Field(default="open", description="open, closed or all.")
    labels: list[Label] = Field(
        default_factory=list, max_length=20, description="Only issues carrying every one of these labels."
    )
    per_page: PerPage = MAX_PAGE
    cursor: Cursor = None


class GetIssue(_RepoRequest):
    """One issue by number."""

    number: Number


class ListPullRequests(_RepoRequest):
    """Pull requests of a repository."""

    state: IssueState = Field(default="open", description="open, closed or all.")
    base: str | None = Field(default=None, pattern=BRANCH_PATTERN, description="Only PRs into this branch.")
    per_page: PerPage = MAX_PAGE
    cursor: Cursor = None


class GetPullRequest(_RepoRequest):
    """One pull request by number."""

    number: Number


class ListComments(_RepoRequest):
    """The conversation comments of an issue or pull request, oldest first."""

    number: Number
    per_page: PerPage = MAX_PAGE
    cursor: Cursor = None


class ListRepoComments(_RepoRequest):
    """The conversation comments of every issue and pull request of a repository, oldest first."""

    since: datetime | None = Field(
        default=None,
        description="Only comments created or edited at or after this time, e.g. `2025-03-01T00:00:00Z`; "
        "omit for all.",
    )
    per_page: PerPage = MAX_PAGE
    cursor: Cursor = None


class GetFile(_RepoRequest):
    """The text of one file at a ref."""

    path: str = Field(pattern=PATH_PATTERN, description="File path inside the repository, e.g. `src/app.py`.")
    ref: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[^\s~^:?*\[\\]+$",
        description="Branch, tag or commit sha; the default branch when omitted.",
    )


class SearchIssues(_RepoRequest):
    """Issues and pull requests matching a GitHub search query inside one repository."""

    query: str = Field(
        min_length=1,
        max_length=256,
        description="GitHub search syntax, e.g. `is:open label:bug crash`; `repo:<repo>` is added "
        "when missing, and no other repo, org, user or owner may be named.",
    )
    per_page: PerPage = MAX_PAGE
    cursor: Cursor = None

    @model_validator(mode="after")
    def _query_stays_in_repo(self) -> SearchIssues:
        scoped = [(kind.lower(), value.strip('"')) for _, kind, value in QUALIFIER.findall(self.query)]
        outside = [
            f"{kind}:{value}"
            for kind, value in scoped
            if (kind, value.lower()) != ("repo", self.repo.lower())
        ]
        if outside:
            raise ValueError(
                f"the query may only name repo:{self.repo}; remove {', '.join(outside)} "
                "(search one repository per call)"
            )
        return self

    @property
    def search_query(self) -> str:
        """The query GitHub runs: always held to `repo` by a positive `repo:` qualifier.

        Added unless the query has one: a query naming none (or only `-repo:`) would search all of
        GitHub, and agents should not have to repeat the repository the request already names.
        """
        positive = any(not neg and kind.lower() == "repo" for neg, kind, _ in QUALIFIER.findall(self.query))
        return self.query if positive else f"repo:{self.repo} {self.query}"


# -- changes ---------------------------------------------------------------------------------


class CreateIssue(_RepoChange):
    """Open a new issue."""

    title: str = Field(min_length=1, max_length=256, description="Issue title.")
    body: str = Field(default="", max_length=MAX_BODY, description="Markdown body.")
    labels: list[Label] = Field(default_factory=list, max_length=20, description="Label names to apply.")


class Comment(_RepoChange):
    """Comment on an issue or pull request."""

    number: Number
    body: str = Field(min_length=1, max_length=MAX_BODY, description="Markdown comment.")


class CloseIssue(_RepoChange):
    """Close an issue."""

    number: Number
    state_reason: Literal["completed", "not_planned"] = Field(
        default="completed", description="Why: completed or not_planned."
    )


class CreateBranch(_RepoChange):
    """Create a branch from another ref."""

    branch: str = Field(pattern=BRANCH_PATTERN, description="New branch name, e.g. `fix/crash`.")
    from_ref: str | None = Field(
        default=None,
        pattern=BRANCH_PATTERN,
        description="Branch or commit sha to start from; the default branch when omitted.",
    )


def is_workflow_file(path: str) -> bool:
    """Whether `path` is a GitHub Actions workflow, which runs with the repository's secrets."""
    return [part for part in path.split("/") if part][:2] == [".github", "workflows"]


class CommitFile(_RepoChange):
    """Create or replace one text file on a branch in a single commit."""

    branch: str = Field(pattern=BRANCH_PATTERN, description="Branch to commit to (it must exist).")
    path: str = Field(pattern=PATH_PATTERN, description="File path inside the repository.")
    content: str = Field(max_length=1_000_000, description="The complete new text of the file (UTF-8).")
    message: str = Field(min_length=1, max_length=1000, description="Commit message.")


class OpenPullRequest(_RepoChange):
    """Open a pull request from `head` into `base`."""

    title: str = Field(min_length=1, max_length=256, description="Pull request title.")
    head: str = Field(pattern=BRANCH_PATTERN, description="Branch with the changes.")
    base: str = Field(pattern=BRANCH_PATTERN, description="Branch to merge into, e.g. `main`.")
    body: str = Field(default="", max_length=MAX_BODY, description="Markdown description.")


class MergePullRequest(_RepoChange):
    """Merge a pull request."""

    number: Number
    merge_method: Literal["merge", "squash", "rebase"] = Field(
        default="merge", description="merge, squash or rebase."
    )
    expected_head_sha: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{40}$",
        description="Merge only if the head commit is still this sha (guards against late pushes).",
    )


# -- resources -------------------------------------------------------------------------------


class Repository(Resource):
    """A GitHub repository."""

    full_name: str = resource_field("repos", "owner/name")
    private: bool
    default_branch: str
    description: str | None = None
    archived: bool = False


class Issue(Resource):
    """An issue (or, in search results, a pull request: see `is_pull_request`)."""

    repo: str
    number: int
    title: str
    state: str
    state_reason: str | None = None
    body: str = ""
    labels: list[str] = Field(default_factory=list)
    comments: int = 0
    is_pull_request: bool = False
    created_at: datetime | None = None
    closed_at: datetime | None = None


class PullRequest(Resource):
    """A pull request."""

    repo: str
    number: int
    title: str
    state: str
    draft: bool = False
    merged: bool = False
    head: str
    head_sha: str
    base: str
    body: str = ""
    mergeable: bool | None = None
    created_at: datetime | None = None


class IssueComment(Resource):
    """A conversation comment on an issue or pull request."""

    repo: str
    number: int
    body: str
    created_at: datetime | None = None


class FileContent(Resource):
    """The decoded text of a file at a ref; `sha` is the blob sha an update needs."""

    repo: str
    path: str
    ref: str | None = None
    sha: str
    size: int
    text: str
