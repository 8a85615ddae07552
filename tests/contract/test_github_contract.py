"""The GitHub connector passes the contract suite, against the GitHub sandbox (and a live account if set)."""

from charter.contract_tests import contract_suite
from charter.contract_tests.harnesses.github import GitHubHarness

TestGitHubContract = contract_suite(GitHubHarness)
