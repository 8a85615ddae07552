"""Drafts and writes through PyGithub against the sandbox, observed through its inspection API."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from charter.connectors.base import Attribution
from charter.connectors.github import (
    CloseIssue,
    Comment,
    CommitFile,
    CreateBranch,
    CreateIssue,
    GetFile,
    GitHubConnector,
    MergePullRequest,
    OpenPullRequest,
)
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import Conflict, NotFound, ScopeMissing

if TYPE_CHECKING:
    from conftest import Connect

AGENT = Attribution(agent="triage-bot", grant_id="grt_123")


def issues_titled(sandbox: GitHubSandbox, title: str) -> list[int]:
    return [i.number for i in sandbox.state.repos["acme/web"].issues.values() if i.title == title]


def comment_bodies(sandbox: GitHubSandbox, number: int) -> list[str]:
    return [c.body for c in sandbox.state.repos["acme/web"].comments_on(number)]


def test_create_issue_ends_with_attribution_and_hidden_marker(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    change = CreateIssue(repo="acme/web", title="Crash on login", body="Steps: ...", labels=["bug"])
    result = github.write(change, idempotency_key="key-1", attribution=AGENT)
    issue = sandbox.state.repos["acme/web"].issues[int(result.id.split("#")[1])]
    assert issue.title == "Crash on login"
    assert issue.labels == ["bug"]
    assert issue.body is not None
    assert issue.body.startswith("Steps: ...")
    assert AGENT.line() in issue.body
    assert issue.body.endswith("<!-- charter:write=key-1 -->")
    assert result.url
    assert result.url.endswith(f"/issues/{issue.number}")


def test_draft_issue_has_no_visible_effect_and_previews_what_will_appear(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    before = sandbox.dump_state()
    draft = github.draft(CreateIssue(repo="acme/web", title="Flaky test", labels=["bug"]), attribution=AGENT)
    assert sandbox.dump_state() == before
    assert {e.method for e in sandbox.requests.entries} == {"GET"}
    assert draft.location == "store"
    assert draft.action == "create_issue"
    assert "Title: Flaky test" in draft.preview
    assert "Labels: bug" in draft.preview
    assert AGENT.line() in draft.preview

    result = github.write(draft.id, attribution=AGENT)
    assert issues_titled(sandbox, "Flaky test") == [int(result.id.split("#")[1])]
    body = sandbox.state.repos["acme/web"].issues[int(result.id.split("#")[1])].body or ""
    assert body.startswith(draft.preview.split("\n\n", 1)[1])


def test_writing_the_same_draft_twice_commits_once(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    draft = github.draft(Comment(repo="acme/web", number=5, body="Looking into it."))
    first = github.write(draft.id)
    again = github.write(draft.id)
    assert again.replayed
    assert again.id == first.id
    assert sum("Looking into it." in b for b in comment_bodies(sandbox, 5)) == 1


def test_draft_comment_previews_the_issue_it_answers(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    before = sandbox.dump_state()
    draft = github.draft(Comment(repo="acme/web", number=5, body="On it."), attribution=AGENT)
    title = sandbox.state.repos["acme/web"].issues[5].title
    assert f"acme/web#5 ({title})" in draft.preview
    assert draft.preview.endswith(f"On it.\n\n---\n{AGENT.line()}")
    assert sandbox.dump_state() == before


@pytest.mark.parametrize("fault", ["5xx", "drop-before", "drop-after"])
def test_create_issue_commits_exactly_once_despite_a_lost_answer(
    sandbox: GitHubSandbox, github: GitHubConnector, fault: str
) -> None:
    arm(sandbox, fault, "POST", "/repos/acme/web/issues")
    draft = github.draft(CreateIssue(repo="acme/web", title="Exactly once"))
    result = github.write(draft.id)
    assert issues_titled(sandbox, "Exactly once") == [int(result.id.split("#")[1])]
    assert not sandbox.faults.armed


@pytest.mark.parametrize("fault", ["5xx", "drop-before", "drop-after"])
def test_comment_commits_exactly_once_despite_a_lost_answer(
    sandbox: GitHubSandbox, github: GitHubConnector, fault: str
) -> None:
    arm(sandbox, fault, "POST", "/repos/acme/web/issues/41/comments")
    result = github.write(Comment(repo="acme/web", number=41, body="Only once, please."), attribution=AGENT)
    assert sum("Only once, please." in b for b in comment_bodies(sandbox, 41)) == 1
    assert result.id.startswith("acme/web#41/comment:")


def test_close_issue_sets_the_state_reason(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    github.write(CloseIssue(repo="acme/web", number=5, state_reason="not_planned"))
    issue = sandbox.state.repos["acme/web"].issues[5]
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")


def test_branch_file_and_pull_request_end_to_end(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    github.write(CreateBranch(repo="acme/web", branch="fix/crash"))
    repo = sandbox.state.repos["acme/web"]
    assert repo.git.branches["fix/crash"] == repo.git.branches["main"]

    github.write(
        CommitFile(
            repo="acme/web", branch="fix/crash", path="src/app.py", content="print(1)\n", message="Fix"
        )
    )
    new = github.write(
        CommitFile(repo="acme/web", branch="fix/crash", path="docs/new.md", content="# New\n", message="Docs")
    )
    assert "docs/new.md" in new.id
    assert github.read(GetFile(repo="acme/web", path="src/app.py", ref="fix/crash")).text == "print(1)\n"
    assert "print(1)" not in github.read(GetFile(repo="acme/web", path="src/app.py")).text

    opened = github.write(
        OpenPullRequest(repo="acme/web", title="Fix the crash", head="fix/crash", base="main")
    )
    pull = repo.issues[int(opened.id.split("#")[1])]
    assert pull.pull is not None
    assert not pull.pull.draft
    assert pull.pull.head_ref == "fix/crash"

    merged = github.write(MergePullRequest(repo="acme/web", number=pull.number, merge_method="squash"))
    assert pull.pull.merged
    assert repo.git.branches["main"] == merged.id


def test_commit_file_updates_with_the_current_sha(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    github.read(GetFile(repo="acme/web", path="README.md"))
    github.write(CommitFile(repo="acme/web", branch="main", path="README.md", content="# v2\n", message="v2"))
    github.write(CommitFile(repo="acme/web", branch="main", path="README.md", content="# v3\n", message="v3"))
    repo = sandbox.state.repos["acme/web"]
    head = repo.git.commits[repo.git.branches["main"]]
    assert repo.git.blobs[head.tree["README.md"]] == b"# v3\n"


def test_commit_file_on_a_missing_branch_is_not_found(github: GitHubConnector) -> None:
    change = CommitFile(repo="acme/web", branch="nope", path="a.txt", content="a", message="a")
    with pytest.raises(NotFound):
        github.write(change)


def test_a_workflow_file_needs_the_workflow_scope_and_nothing_is_sent_without_it(
    sandbox: GitHubSandbox, connect: Connect
) -> None:
    change = CommitFile(
        repo="acme/web", branch="main", path=".github/workflows/ci.yml", content="name: ci\n", message="ci"
    )
    with pytest.raises(ScopeMissing) as missing:
        connect().write(change)
    assert missing.value.details["missing"] == ["workflow"]
    assert "connect github again asking for repo, workflow" in missing.value.message
    assert not sandbox.requests.entries
    connect(scopes=("repo", "workflow")).write(change)
    assert sandbox.state.file("acme/web", ".github/workflows/ci.yml") == "name: ci\n"


def test_other_files_under_github_need_only_repo(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    github.write(
        CommitFile(repo="acme/web", branch="main", path=".github/CODEOWNERS", content="* @mona", message="o")
    )
    assert sandbox.state.file("acme/web", ".github/CODEOWNERS") == "* @mona"


@pytest.mark.parametrize("fault", ["5xx", "drop-after"])
def test_branch_and_file_writes_commit_exactly_once(
    sandbox: GitHubSandbox, github: GitHubConnector, fault: str
) -> None:
    repo = sandbox.state.repos["acme/web"]
    arm(sandbox, fault, "POST", "/repos/acme/web/git/refs")
    github.write(CreateBranch(repo="acme/web", branch="topic", from_ref="feature/login"))
    assert repo.git.branches["topic"] == repo.git.branches["feature/login"]

    start = repo.git.branches["topic"]
    arm(sandbox, fault, "PUT", "/repos/acme/web/contents/notes.txt")
    github.write(
        CommitFile(repo="acme/web", branch="topic", path="notes.txt", content="hi\n", message="Notes")
    )
    head = repo.git.commits[repo.git.branches["topic"]]
    assert head.parents == [start], "the file was committed more than once"


def test_open_pull_request_commits_exactly_once_after_a_dropped_answer(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    arm(sandbox, "drop-after", "POST", "/repos/acme/web/pulls")
    change = OpenPullRequest(repo="acme/web", title="Dark mode v2", head="fix/typo", base="main")
    github.write(change, attribution=AGENT)
    pulls = [i for i in sandbox.state.repos["acme/web"].issues.values() if i.title == "Dark mode v2"]
    assert len(pulls) == 1
    assert AGENT.line() in (pulls[0].body or "")


def test_draft_pull_request_shows_nothing_on_github_until_written(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    # A GitHub draft pull request is seen by everyone who reads the repository: drafting opens none.
    github.write(CreateBranch(repo="acme/web", branch="wip"))
    github.write(CommitFile(repo="acme/web", branch="wip", path="w.txt", content="w\n", message="w"))
    before = len(sandbox.state.repos["acme/web"].issues)
    draft = github.draft(
        OpenPullRequest(repo="acme/web", title="WIP", head="wip", base="main"), attribution=AGENT
    )
    assert (draft.location, draft.native_ref) == ("store", None)
    assert len(sandbox.state.repos["acme/web"].issues) == before
    assert sandbox.requests.count("POST", "/repos/acme/web/pulls") == 0

    arm(sandbox, "drop-after", "POST", "/repos/acme/web/pulls")
    result = github.write(draft.id)
    opened = [i for i in sandbox.state.repos["acme/web"].issues.values() if i.title == "WIP"]
    assert [f"acme/web#{i.number}" for i in opened] == [result.id]
    assert opened[0].pull is not None
    assert not opened[0].pull.draft


def test_a_draft_pull_request_from_a_missing_branch_is_refused_and_opens_nothing(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    before = len(sandbox.state.repos["acme/web"].issues)
    with pytest.raises(NotFound):
        github.draft(OpenPullRequest(repo="acme/web", title="Typo", head="no-such-branch", base="main"))
    assert len(sandbox.state.repos["acme/web"].issues) == before


def test_merging_a_draft_pull_request_is_a_conflict_and_sends_no_merge(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    with pytest.raises(Conflict, match=r"acme/web#47 is a draft; mark it ready for review"):
        github.write(MergePullRequest(repo="acme/web", number=47))
    assert sandbox.requests.count("PUT") == 0
    assert not sandbox.state.repos["acme/web"].issues[47].pull.merged  # type: ignore[union-attr]


def test_merge_refuses_a_head_that_moved_since_review(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    with pytest.raises(Conflict, match="new commits"):
        github.write(MergePullRequest(repo="acme/web", number=46, expected_head_sha="0" * 40))
    assert sandbox.requests.count("PUT") == 0


def test_merge_commits_exactly_once_after_a_dropped_answer(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    repo = sandbox.state.repos["acme/web"]
    base_before = repo.git.branches["main"]
    arm(sandbox, "drop-after", "PUT", "/repos/acme/web/pulls/46/merge")
    result = github.write(MergePullRequest(repo="acme/web", number=46))
    assert repo.issues[46].pull.merged  # type: ignore[union-attr]
    assert repo.git.commits[result.id].parents[0] == base_before
    assert sandbox.requests.count("PUT", "/repos/acme/web/pulls/46/merge") == 1


def test_a_branch_can_start_from_a_commit_sha(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    repo = sandbox.state.repos["acme/web"]
    sha = repo.git.branches["fix/typo"]
    github.write(CreateBranch(repo="acme/web", branch="from-sha", from_ref=sha))
    assert repo.git.branches["from-sha"] == sha


def test_creating_an_existing_branch_is_a_conflict(github: GitHubConnector) -> None:
    with pytest.raises(Conflict, match="already exists"):
        github.write(CreateBranch(repo="acme/web", branch="feature/login"))


def test_file_content_is_sent_base64_encoded(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    github.write(CommitFile(repo="acme/web", branch="main", path="é.txt", content="olá\n", message="utf-8"))
    sent = sandbox.requests.last("PUT")
    assert sent is not None
    body = sent.request_json()
    assert isinstance(body, dict)
    assert base64.b64decode(body["content"]) == "olá\n".encode()


def arm(sandbox: GitHubSandbox, fault: str, method: str, path: str) -> None:
    """Make the next matching request fail as `fault` says."""
    if fault == "5xx":
        sandbox.faults.fail_next(1, status=502, method=method, path=path)
    elif fault == "drop-before":
        sandbox.faults.drop_next(1, when="before", method=method, path=path)
    else:
        sandbox.faults.drop_next(1, when="after", method=method, path=path)
