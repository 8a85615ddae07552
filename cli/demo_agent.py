"""The scripted agent of `charter demo`: ordinary Toolkit code, shown on screen as it runs."""

from __future__ import annotations

from charter.agents import Toolkit, ToolResult


def triage(kit: Toolkit, repo: str = "acme/web") -> ToolResult:
    """Propose a triage comment on the oldest bug that waits for triage."""
    wanted = {"repo": repo, "labels": ["bug", "triage"]}
    found = kit.call("github_list_issues", wanted).data["items"]
    issue = min((i["data"] for i in found), key=lambda i: i["number"])
    where = {"repo": repo, "number": issue["number"]}
    thread = kit.call("github_list_comments", where).data["items"]
    body = (
        f"Triage: confirmed bug ({len(thread)} comment(s) in this thread). "
        "Priority P2: it needs an owner before the next release."
    )
    draft = kit.call("github_draft_comment", {**where, "body": body})
    draft_id = draft.data["draft_id"]
    return kit.call("github_commit_draft", {"draft_id": draft_id})


__all__ = ["triage"]
