"""The contract harness for Charter's GitHub connector: the GitHub sandbox, or a real test account.

Sandbox mode serves `charter.sandboxes.github` on loopback and drives it through its Python API.
Live mode needs CHARTER_LIVE_GITHUB_TOKEN (a token of a test account with the `repo` scope) and
CHARTER_LIVE_GITHUB_REPO (`owner/name` of a test repository with at least one issue); it runs the
read and validation checks only, so nothing is written to the real account.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from charter.connectors.base import Connector, Credentials
from charter.connectors.github import GitHubConnector
from charter.contract_tests.harness import Example
from charter.contract_tests.harnesses.sandboxed import SandboxCredentials as _SandboxCredentials
from charter.contract_tests.harnesses.sandboxed import SandboxedHarness
from charter.schemas import AuthRequired, Draft

if TYPE_CHECKING:
    from charter.sandboxes.github import GitHubSandbox  # noqa: F401 (named in a base class)

TOKEN_ENV = "CHARTER_LIVE_GITHUB_TOKEN"
REPO_ENV = "CHARTER_LIVE_GITHUB_REPO"
REPO = "acme/web"
LOGIN = "mona"


class SandboxCredentials(_SandboxCredentials):
    """A sandbox connection: tokens from the sandbox's OAuth server, refreshed over HTTP as the vault does."""

    connection_id = "github-mona-contract"
    account = LOGIN
    provider = "GitHub"
    token_headers = {"Accept": "application/json"}


class LiveCredentials:
    """A real account's token from the environment; it cannot be refreshed."""

    connection_id = "github-live-contract"
    account = "live"
    granted_scopes = frozenset({"repo"})

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return f"<LiveCredentials {self.connection_id}>"

    def access_token(self) -> str:
        return self._token

    def refresh(self, rejected: str) -> str:
        raise AuthRequired(
            f"GitHub rejected the live token; connect again: put a valid token in {TOKEN_ENV}."
        )


class GitHubHarness(SandboxedHarness["GitHubSandbox"]):
    """Runs the contract suite on `GitHubConnector` against the GitHub sandbox or a live test account."""

    connector_cls: ClassVar[type[Connector]] = GitHubConnector
    live_env = (TOKEN_ENV, REPO_ENV)
    no_sandbox: ClassVar[str] = "live mode has no sandbox to inspect or fault"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.mode == "live":
            self.base_url = os.environ.get("CHARTER_LIVE_GITHUB_API", "https://api.github.com")
            return
        from charter.sandboxes.github import GitHubSandbox

        self._serve(GitHubSandbox())

    def credentials(
        self,
        scopes: Iterable[str] | None = None,
        *,
        claimed: Iterable[str] | None = None,
        canary: str | None = None,
    ) -> Credentials:
        if self.mode == "live":
            return LiveCredentials(os.environ[TOKEN_ENV])
        from charter.sandboxes.github.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        held = frozenset(scopes) if scopes is not None else frozenset({"repo"})
        client = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        if canary:
            client = (f"Iv1.contract-{len(canary)}", f"secret-{canary}")
            self.sandbox.oauth.register_client(*client)
            self._mark_tokens(canary)
        issued = self.sandbox.oauth.issue_token(LOGIN, held, client_id=client[0])
        return SandboxCredentials(
            token_url=f"{self.sandbox.url}/login/oauth/access_token",
            client=client,
            tokens=(issued.access_token, issued.refresh_token or ""),
            claimed=frozenset(claimed) if claimed is not None else held,
        )

    # -- examples ----------------------------------------------------------------------------

    def examples(self) -> Mapping[str, Example]:
        if self.mode == "live":
            return live_examples(os.environ[REPO_ENV])
        return {**read_examples(), **self._write_examples()}

    def _write_examples(self) -> dict[str, Example]:
        issue = {"repo": REPO, "title": "Contract suite issue", "body": "Opened by the contract suite."}
        comment = {"repo": REPO, "number": 2, "body": "Contract suite comment."}
        pull = {"repo": REPO, "title": "Contract suite PR", "head": "fix/typo", "base": "main"}
        commit = {"repo": REPO, "branch": "main", "path": "docs/contract.md", "content": "hello\n"}
        commit["message"] = "Add the contract suite's file"
        titled = self._count(lambda: sum(i.title == issue["title"] for i in self._issues()))
        commented = self._count(lambda: sum(comment["body"] in c.body for c in self._repo().comments_on(2)))
        ready = self._count(lambda: sum(self._is_ready_pull(i, "fix/typo") for i in self._issues()))
        return {
            "draft_issue": Example(issue, invalid=({**issue, "title": ""},), observe=titled),
            "draft_comment": Example(comment, invalid=({**comment, "body": ""},), observe=commented),
            "draft_pull_request": Example(pull, invalid=({**pull, "head": "no spaces"},), observe=ready),
            "create_issue": Example(issue, invalid=({**issue, "repo": "acme"},), observe=titled),
            "comment": Example(comment, invalid=({**comment, "number": 0},), observe=commented),
            "close_issue": Example(
                {"repo": REPO, "number": 3},
                invalid=({"repo": REPO, "number": 3, "state_reason": "bored"},),
                observe=self._count(lambda: int(self._repo().issues[3].state == "closed")),
            ),
            "create_branch": Example(
                {"repo": REPO, "branch": "contract/branch", "from_ref": "main"},
                invalid=({"repo": REPO, "branch": "bad..name"},),
                observe=self._count(lambda: int("contract/branch" in self._repo().git.branches)),
            ),
            "commit_file": Example(
                commit,
                invalid=({**commit, "message": ""},),
                observe=self._count(
                    lambda: sum(c.message.startswith(commit["message"]) for c in self._commits())
                ),
            ),
            "open_pull_request": Example(pull, invalid=({**pull, "title": ""},), observe=ready),
            "merge_pull_request": Example(
                {"repo": REPO, "number": 46},
                invalid=({"repo": REPO, "number": 46, "merge_method": "octopus"},),
                observe=self._count(lambda: int(bool(self._pull_merged(46)))),
            ),
        }

    # -- observation -------------------------------------------------------------------------

    def _repo(self) -> Any:
        return self.sandbox.state.repo(REPO)

    def _issues(self) -> list[Any]:
        return list(self._repo().issues.values())

    def _commits(self) -> list[Any]:
        return list(self._repo().git.commits.values())

    def _pull_merged(self, number: int) -> bool:
        pull = self._repo().issues[number].pull
        return bool(pull and pull.merged)

    @staticmethod
    def _is_ready_pull(issue: Any, head: str) -> bool:
        pull = issue.pull
        return bool(pull and pull.head_ref == head and issue.state == "open" and not pull.draft)

    def visible_state(self) -> Mapping[str, object]:
        state: dict[str, object] = {}
        with self.sandbox.lock:
            for repo in self.sandbox.state.repos.values():
                name = repo.full_name
                for number, issue in repo.issues.items():
                    pull = issue.pull
                    pull_state = (pull.draft, pull.merged, pull.head_ref, pull.base_ref) if pull else None
                    state[f"{name}#{number}"] = (
                        issue.title,
                        issue.body,
                        issue.state,
                        tuple(issue.labels),
                        pull_state,
                    )
                for comment in repo.comments:
                    state[f"{name}#{comment.issue_number}/comments/{comment.id}"] = comment.body
                for branch, sha in repo.git.branches.items():
                    state[f"{name}@{branch}"] = sha
        return state

    def native_draft_keys(self, draft: Draft) -> frozenset[str]:
        return frozenset({f"{draft.change['repo']}#{draft.native_ref}"})

    def request_count(self) -> int | None:
        return None if self._sandbox is None else len(self._sandbox.requests)

    def fidelity_problems(self) -> list[str] | None:
        # The description is required: without it the check fails, saying how to fetch it.
        from charter.sandboxes.fidelity import load_github_spec, validate_exchanges

        return validate_exchanges(load_github_spec(), self.sandbox.requests.entries)


def read_examples(repo: str = REPO) -> dict[str, Example]:
    """Reads of the seeded acme/web: 45 issues, 3 pull requests, a commented issue, README.md."""
    bad_repo = ({"repo": "not a repository"},)
    return {
        "list_repos": Example({"per_page": 2}, invalid=({"per_page": 0},), min_items=3, min_pages=2),
        "get_repo": Example({"repo": repo}, invalid=bad_repo, refused=({"repo": f"{repo}-gone"},)),
        "list_issues": Example(
            {"repo": repo, "state": "all", "per_page": 20},
            invalid=({"repo": repo, "state": "merged"},),
            min_items=45,
            min_pages=3,
        ),
        "get_issue": Example(
            {"repo": repo, "number": 1},
            invalid=({"repo": repo, "number": 0},),
            refused=({"repo": repo, "number": 99999},),
        ),
        "list_pull_requests": Example(
            {"repo": repo, "state": "all", "per_page": 2},
            invalid=({"repo": repo, "per_page": 101},),
            min_items=3,
            min_pages=2,
        ),
        "get_pull_request": Example({"repo": repo, "number": 46}, invalid=({"repo": repo, "number": -1},)),
        "list_comments": Example(
            {"repo": repo, "number": 1, "per_page": 1},
            invalid=({"repo": repo, "number": 1, "per_page": 0},),
            min_items=2,
            min_pages=2,
        ),
        "list_repo_comments": Example(
            {"repo": repo, "per_page": 1},
            invalid=({"repo": repo, "per_page": 0}, {"repo": repo, "since": "yesterday"}),
            min_items=2,
            min_pages=2,
        ),
        "get_file": Example({"repo": repo, "path": "README.md"}, invalid=({"repo": repo, "path": ""},)),
        "search_issues": Example(
            {"repo": repo, "query": f"repo:{repo} is:issue label:bug", "per_page": 5},
            invalid=({"repo": repo, "query": "label:bug repo:acme/other"},),
            min_items=1,
        ),
    }


def live_examples(repo: str) -> dict[str, Example]:
    """Reads that hold on any test repository with at least one issue."""
    reads = read_examples(repo)
    keep = ("list_repos", "get_repo", "list_issues", "list_pull_requests", "search_issues")
    examples = {name: dataclasses.replace(reads[name], min_items=0, min_pages=1) for name in keep}
    examples["search_issues"] = Example(
        {"repo": repo, "query": f"repo:{repo} is:issue", "per_page": 5},
        invalid=reads["search_issues"].invalid,
    )
    return examples


__all__ = ["GitHubHarness", "LiveCredentials", "SandboxCredentials", "live_examples", "read_examples"]
