"""All six performance targets in one pass, on sandboxes in their own processes."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks import target_runs as runs
from benchmarks.postgres import postgres_targets
from benchmarks.remote_rigs import RemoteGitHubRig, RemoteGoogleRig, RemoteSharePointRig
from benchmarks.result_tokens import github_results, google_results, sharepoint_results
from benchmarks.startup import startup_targets
from benchmarks.targets import Target


@dataclass(frozen=True)
class TargetSizes:
    """How much each target measures; the defaults are the issue's sizes."""

    calls: int = 300
    audit_entries: int = 2000
    issues: int = 1000
    comments_per_issue: int = 1
    messages: int = 500
    events: int = 1000
    files: int = 1000
    rounds: int = 3
    starts: int = 3

    @classmethod
    def quick(cls) -> TargetSizes:
        return cls(
            calls=20, audit_entries=80, issues=120, messages=60, events=60, files=60, rounds=1, starts=1
        )


def measure_targets(sizes: TargetSizes, latency_ms: float) -> list[Target]:
    """Measure targets 1 to 6; each a figure beside its limit."""
    targets: list[Target] = []
    with RemoteGitHubRig(sizes.issues, sizes.comments_per_issue) as github:
        targets += runs.call_cost(github, sizes.calls)
        targets += runs.audit_targets(github.home, sizes.audit_entries)
        targets += runs.github_bulk(github, latency_ms, sizes.rounds)
        targets += github_results(github)
        with RemoteGoogleRig(sizes.messages, sizes.events) as google:
            targets += runs.gmail_bulk(google, latency_ms, sizes.rounds)
            targets += runs.calendar_bulk(google, (latency_ms, 100.0), sizes.rounds)
            targets += runs.repeat_syncs(github, google)
            targets += google_results(google)
        targets += startup_targets(github, sizes.starts)
    with RemoteSharePointRig(sizes.files) as sharepoint:
        targets += runs.sharepoint_bulk(sharepoint, (latency_ms, 100.0), sizes.rounds)
        targets += sharepoint_results(sharepoint)
    targets += postgres_targets(min(sizes.issues, 100), sizes.calls, sizes.audit_entries)
    return sorted(targets, key=lambda t: t.item)
