"""A native draft pull request (as Charter made them before drafts moved into its store) is marked
ready only as reviewed: an edit or a new commit in between stops it.

The edits go through PyGithub against the sandbox, the way anyone with write access could make them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from charter.connectors.base import Attribution
from charter.connectors.github import CommitFile, CreateBranch, GitHubConnector, OpenPullRequest
from charter.connectors.github.responses import pull_digest
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import Conflict, Draft, payload_hash

AGENT = Attribution(agent="triage-bot", grant_id="grt_123")
Edit = Callable[[Any, int], None]


def _draft(github: GitHubConnector) -> Draft:
    github.write(CreateBranch(repo="acme/web", branch="wip"))
    github.write(CommitFile(repo="acme/web", branch="wip", path="w.txt", content="w\n", message="w"))
    change = OpenPullRequest(repo="acme/web", title="WIP", head="wip", base="main", body="Reviewed text.")
    fields = {
        "title": change.title,
        "head": change.head,
        "base": change.base,
        "body": change.body,
        "draft": True,
    }
    pull = github.api.send("POST", "/repos/acme/web/pulls", fields)
    payload = change.model_dump(mode="json")
    draft = Draft(
        id="drf_legacy",
        connector="github",
        connection=github.credentials.connection_id,
        action="open_pull_request",
        change=payload,
        payload_hash=payload_hash("open_pull_request", payload),
        preview="Draft pull request",
        location="native",
        native_ref=str(pull["number"]),
        native_digest=pull_digest(pull),
        agent=AGENT.agent,
        grant_id=AGENT.grant_id,
    )
    github.drafts.save(draft)
    return draft


def _is_draft(sandbox: GitHubSandbox, draft: Draft) -> bool:
    pull = sandbox.state.repos["acme/web"].issues[int(str(draft.native_ref))].pull
    assert pull is not None
    return pull.draft


def _push_commit(repo: Any, number: int) -> None:
    repo.create_file("later.txt", "pushed after review", "sneak in", branch="wip")


EDITS: dict[str, Edit] = {
    "title": lambda repo, number: repo.get_pull(number).edit(title="WIP (approved)"),
    "body": lambda repo, number: repo.get_pull(number).edit(body="Also deletes the CI checks."),
    "new-commit": _push_commit,
}


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_a_draft_pull_request_edited_after_review_is_not_marked_ready(
    sandbox: GitHubSandbox, github: GitHubConnector, edit: Edit
) -> None:
    draft = _draft(github)
    edit(github.api.github.get_repo("acme/web"), int(str(draft.native_ref)))
    with pytest.raises(Conflict, match="changed after it was reviewed"):
        github.write(draft.id)
    assert _is_draft(sandbox, draft)
    assert sandbox.requests.count("POST", "/graphql") == 0


def test_an_untouched_draft_pull_request_is_marked_ready(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    # Control: the same flow without an edit goes through, so the refusals above are the edits'.
    draft = _draft(github)
    assert draft.native_digest is not None
    github.write(draft.id)
    assert not _is_draft(sandbox, draft)
