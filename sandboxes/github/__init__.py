"""The GitHub sandbox: REST subset of api.github.com, github.com's OAuth server, faults, inspection."""

from charter.sandboxes.github.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubOAuth
from charter.sandboxes.github.sandbox import GITHUB_TOKENS, GitHubSandbox
from charter.sandboxes.github.state import Comment, GitHubState, Issue, Repo

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "GITHUB_TOKENS",
    "Comment",
    "GitHubOAuth",
    "GitHubSandbox",
    "GitHubState",
    "Issue",
    "Repo",
]
