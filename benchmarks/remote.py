"""A sandbox in a process of its own, driven over a pipe: its work stays off the client's clock and CPU.

With the sandbox in the benchmark's process, every request's server-side work (routing, JSON,
pagination) is timed as if the client did it, and competes with it for the interpreter. In a child
process only the client is measured; the pipe carries the few controls a benchmark needs.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from charter.sandboxes.framework import Sandbox

SandboxFactory = Callable[[], Sandbox]


@dataclass(frozen=True)
class Seen:
    """What the sandbox answered since the log was last cleared."""

    requests: int
    not_modified: int
    body_bytes: int


def _serve(factory: SandboxFactory, conn: Connection) -> None:
    sandbox = factory()
    sandbox.start()
    conn.send(sandbox.url)
    while True:
        op, arg = conn.recv()
        if op == "stop":
            sandbox.stop()
            conn.send(None)
            return
        conn.send(_control(sandbox, op, arg))


def _control(sandbox: Sandbox, op: str, arg: Any) -> Any:
    if op == "latency":
        sandbox.faults.set_latency(float(arg))
        return None
    if op == "clear":
        sandbox.requests.clear()
        return None
    if op == "seen":
        entries = sandbox.requests.entries
        return Seen(
            len(entries), sum(e.status == 304 for e in entries), sum(len(e.response_body) for e in entries)
        )
    if op == "run":
        # A picklable function of the sandbox (top-level, or a partial of one): inspection, seeding.
        return arg(sandbox)
    raise ValueError(f"unknown sandbox control {op!r}")


class RemoteSandbox:
    """A sandbox built by `factory` in a spawned process; `url` once started."""

    def __init__(self, factory: SandboxFactory) -> None:
        self._factory = factory
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self.url = ""

    def __repr__(self) -> str:
        return f"<RemoteSandbox {self.url or 'not started'}>"

    def start(self) -> RemoteSandbox:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(self._factory, theirs), daemon=True)
        self._process.start()
        self._conn = ours
        if not ours.poll(120):
            self._process.kill()
            raise RuntimeError("the sandbox process did not start within 120 s")
        self.url = str(ours.recv())
        return self

    def stop(self) -> None:
        if self._conn is not None and self._process is not None:
            self._ask("stop")
            self._process.join(10)
            self._conn = None

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by `seconds` in the sandbox (0 removes the delay)."""
        self._ask("latency", seconds)

    def clear(self) -> None:
        """Forget the requests seen so far."""
        self._ask("clear")

    def seen(self) -> Seen:
        """The requests answered since the last `clear`."""
        seen: Seen = self._ask("seen")
        return seen

    def run(self, work: Callable[[Sandbox], Any]) -> Any:
        """`work(sandbox)` in the sandbox's process; `work` and its result must pickle."""
        return self._ask("run", work)

    def _ask(self, op: str, arg: object = None) -> Any:
        if self._conn is None:
            raise RuntimeError("the remote sandbox is not running")
        self._conn.send((op, arg))
        return self._conn.recv()


def github_sandbox(backlog: int, comments_per_issue: int) -> Sandbox:
    """The GitHub sandbox with `acme/backlog` holding `backlog` open issues of `comments_per_issue` each."""
    from benchmarks.rig import seed_with_backlog
    from charter.sandboxes.github import GitHubSandbox

    seed = seed_with_backlog(backlog)
    backlog_repo = next(r for r in seed["repos"] if r["name"] == "backlog")
    for issue in backlog_repo["issues"]:
        issue["comments"] = [
            {
                "user": "hubot",
                "body": f"Comment {c} on item {issue['number']}.",
                "created_at": issue["created_at"],
            }
            for c in range(comments_per_issue)
        ]
    return GitHubSandbox(seed=seed)


def google_sandbox(messages: int, events: int) -> Sandbox:
    """The Google sandbox with `messages` generated messages and `events` generated events."""
    from charter.sandboxes.google import GoogleSandbox, GoogleSeed

    sandbox = GoogleSandbox(seed=GoogleSeed(messages=messages, events=events))
    # Quota off, as in the other Google benchmarks: its waits would be timed, not the reads.
    sandbox.quota.enabled = False
    return sandbox


def graph_sandbox(items: int) -> Sandbox:
    """The Graph sandbox with a `Bulk` folder of `items` files, its resource-unit budget unbounded."""
    from charter.sandboxes.microsoft import GraphSandbox

    sandbox = GraphSandbox(bulk_files=items)
    sandbox.set_budget(10**9)
    return sandbox


def sandbox_now(sandbox: Sandbox) -> float:
    """The sandbox clock's time (for windows that hold exactly the generated data)."""
    return float(sandbox.clock.now())
