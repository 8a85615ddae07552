"""The contract harness for Charter's GitHub connector: the GitHub sandbox, or a real test account.

Sandbox mode serves `charter.sandboxes.github` on loopback and drives it through its Python API.
Live mode needs CHARTER_LIVE_GITHUB_TOKEN (a token of a test account with the `repo` scope) and
CHARTER_LIVE_GITHUB_REPO (`owner/name` of a test repository with at least one issue); it runs the
read and validation checks only, so nothing is written to the real account.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from charter.connectors.base import Connector, Credentials
from charter.connectors.github import GitHubConnector
from charter.contract_tests.harness import ContractHarness, Example, Mode
from charter.schemas import AuthRequired, Draft

if TYPE_CHECKING:
    from charter.sandboxes.github import GitHubSandbox

TOKEN_ENV = "CHARTER_LIVE_GITHUB_TOKEN"
REPO_ENV = "CHARTER_LIVE_GITHUB_REPO"
REPO = "acme/web"
LOGIN = "mona"


class SandboxCredentials:
    """A sandbox connection: tokens from the sandbox's OAuth server, refreshed over HTTP as the vault does."""

    connection_id = "github-mona-contract"
    account = LOGIN

    def __init__(
        self, *, token_url: str, client: tuple[str, str], tokens: tuple[str, str], claimed: frozenset[str]
    ) -> None:
        self._token_url = token_url
        self._client = client
        self._access, self._refresh = tokens
        self._claimed = claimed

    def __repr__(self) -> str:
        return f"<SandboxCredentials {self.connection_id} scopes={sorted(self._claimed)}>"

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self._claimed

    def access_token(self) -> str:
        return self._access

    def refresh(self, rejected: str) -> str:
        if rejected != self._access:
            return self._access
        client_id, client_secret = self._client
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh}
        form |= {"client_id": client_id, "client_secret": client_secret}
        answer = httpx.post(self._token_url, data=form, headers={"Accept": "application/json"}, timeout=10)
        body = answer.json()
        if "access_token" not in body:
            raise AuthRequired(f"GitHub refused to refresh ({body.get('error')}); connect GitHub again.")
        self._access, self._refresh = body["access_token"], body.get("refresh_token") or self._refresh
        return self._access


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


class GitHubHarness(ContractHarness):
    """Runs the contract suite on `GitHubConnector` against the GitHub sandbox or a live test account."""

    connector_cls: ClassVar[type[Connector]] = GitHubConnector
    live_env = (TOKEN_ENV, REPO_ENV)

    def __init__(self, mode: Mode = "sandbox") -> None:
        super().__init__(mode)
        self._sandbox: GitHubSandbox | None = None

    @property
    def sandbox(self) -> GitHubSandbox:
        if self._sandbox is None:
            raise NotImplementedError("live mode has no sandbox to inspect or fault")
        return self._sandbox

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.mode == "live":
            self.base_url = os.environ.get("CHARTER_LIVE_GITHUB_API", "https://api.github.com")
            return
        from charter.sandboxes.github import GitHubSandbox

        self._sandbox = GitHubSandbox().start()
        self._format = self._sandbox.tokens.format
        self.base_url = self._sandbox.url

    def reset(self) -> None:
        if self._sandbox is not None:
            self._sandbox.reset()
            self._sandbox.tokens.format = self._format

    def stop(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()

    def connector(self, credentials: Credentials) -> Connector:
        connector = super().connector(credentials)
        if self._sandbox is not None:
            # Rate-limit waits pass on the sandbox's clock, which judges early retries by it.
            connector.sleep = self._sandbox.clock.advance
        return connector

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
            fmt = self._format
            self.sandbox.tokens.format = dataclasses.replace(
                fmt, access_prefix=fmt.access_prefix + canary, refresh_prefix=fmt.refresh_prefix + canary
            )
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

    def _count(self, count: Callable[[], int]) -> Callable[[], int]:
        def locked() -> int:
            with self.sandbox.lock:
                return count()

        return locked

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

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, n: int, status: int) -> None:
        self._arm_writes("fail", n, status)

    def drop_next(self, n: int, *, after_commit: bool = True) -> None:
        self._arm_writes("drop_after" if after_commit else "drop_before", n)

    def _arm_writes(self, kind: str, n: int, status: int = 503) -> None:
        from charter.contract_tests.harnesses.faults import arm_state_changing

        arm_state_changing(self.sandbox.faults, kind, n, status)

    def rate_limit_next(self, retry_after: float) -> None:
        self.sandbox.faults.rate_limit_next(1, retry_after=int(retry_after))

    def early_retries(self) -> int:
        return len(self.sandbox.faults.early_retries)

    def faults_pending(self) -> int:
        return len(self.sandbox.faults.armed)

    def expire_tokens(self) -> None:
        self.sandbox.faults.expire_access_tokens()

    def revoke_tokens(self) -> None:
        self.sandbox.faults.revoke_tokens()


def read_examples(repo: str = REPO) -> dict[str, Example]:
    """Reads of the seeded acme/web: 45 issues, 3 pull requests, a commented issue, README.md."""
    bad_repo = ({"repo": "not a repository"},)
    return {
        "list_repos": Example({"per_page": 2}, invalid=({"per_page": 0},), min_items=3, min_pages=2),
        "get_repo": Example({"repo": repo}, invalid=bad_repo),
        "list_issues": Example(
            {"repo": repo, "state": "all", "per_page": 20},
            invalid=({"repo": repo, "state": "merged"},),
            min_items=45,
            min_pages=3,
        ),
        "get_issue": Example({"repo": repo, "number": 1}, invalid=({"repo": repo, "number": 0},)),
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
