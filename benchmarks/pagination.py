"""The pagination floor: listing a large repository at 100 issues per page against the default 30."""

from __future__ import annotations

import math

from github import Github

from benchmarks.figures import Figure, against_baseline
from benchmarks.rig import BACKLOG, GitHubRig, Sample, list_all

NAIVE = "naive PyGithub, default 30 per page"
DEFAULT = "Charter Toolkit, default page size"
FLOOR = "Charter Toolkit, per_page=100 (the floor)"


def floor(items: int) -> int:
    """The fewest requests that list `items` issues: GitHub serves at most 100 per page."""
    return max(1, math.ceil(items / 100))


def measure_pagination(rig: GitHubRig, bench: str) -> list[Figure]:
    """All open issues of acme/backlog, at PyGithub's default page size and through the Toolkit."""
    gh: Github = rig.pygithub()
    repo = gh.get_repo(BACKLOG)
    naive = rig.measure(lambda: list(repo.get_issues(state="open")))
    rows = [(NAIVE, naive, 1)]
    rows += [(DEFAULT, _through_toolkit(rig, None), 1), (FLOOR, _through_toolkit(rig, 100), 1)]
    return against_baseline(bench, NAIVE, rows)


def _through_toolkit(rig: GitHubRig, per_page: int | None) -> Sample:
    kit = rig.toolkit()
    kit.call("github_get_repo", {"repo": BACKLOG})  # connector built and connected before the clock starts
    return rig.measure(lambda: list_all(kit, BACKLOG, per_page))
