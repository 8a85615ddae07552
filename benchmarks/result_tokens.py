"""Target 6: what a read's result costs the model, beside the plain JSON of the same fields.

The plain form is the connector's own result as compact JSON, with the empty provenance fields the
agent's form leaves out too; the agent's form is what `Toolkit.call` returns (the untrusted-data
notice, the markers, the provenance block). Tokens are approximated as characters / 4, as for the
tool-list budgets; the ratio does not depend on that divisor.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from benchmarks.google_rig import BULK_QUERY
from benchmarks.remote_rigs import RemoteGitHubRig, RemoteGoogleRig, RemoteSharePointRig
from benchmarks.rig import BACKLOG, call_ok
from benchmarks.sharepoint import SITE
from benchmarks.targets import Target
from charter.agents import Toolkit
from charter.connectors.base import Connector
from charter.contract_tests.running import run_action

LIMIT = 1.15


def tokens(value: Any) -> int:
    """Approximate tokens of `value` as compact JSON."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) // 4


def plain(result: object) -> Any:
    """The result's own fields as JSON, less the empty provenance fields no agent is shown."""
    dumped = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    if not isinstance(dumped, dict):
        return dumped
    for item in dumped.get("items", [dumped]):
        provenance = item.get("provenance") if isinstance(item, dict) else None
        if isinstance(provenance, dict):
            item["provenance"] = {k: v for k, v in provenance.items() if v is not None}
    return dumped


def result_tokens(kit: Toolkit, connector: Connector, tool: str, args: dict[str, object]) -> Target:
    """One page of the listing `tool` (e.g. `calendar_list_events`) for the model, over plain JSON."""
    action = tool.split("_", 1)[1]
    result = run_action(connector, type(connector).actions[action], args)
    agent = call_ok(kit, tool, args)
    bare = plain(result)
    if len(agent.get("items", ())) != len(bare.get("items", ())):
        raise RuntimeError(f"{tool}: the Toolkit and the connector read pages of different sizes")
    return Target(
        6,
        f"result tokens for the model: {tool}{' with bodies' if args.get('bodies') else ''}, "
        f"a page of {len(bare.get('items', ()))}",
        tokens(agent) / max(1, tokens(bare)),
        LIMIT,
        "x",
        "the connector's own result as compact JSON, same fields (characters / 4)",
    )


def github_results(rig: RemoteGitHubRig) -> list[Target]:
    """A page of 100 issues."""
    return [
        result_tokens(
            rig.toolkit(), rig.connector(), "github_list_issues", {"repo": BACKLOG, "per_page": 100}
        )
    ]


def google_results(rig: RemoteGoogleRig) -> list[Target]:
    """A search of 500 message summaries, the same with bodies, and a page of events."""
    kit, gmail = rig.toolkit(), rig.gmail_connector()
    search: dict[str, object] = {"query": BULK_QUERY, "page_size": 500}
    return [
        result_tokens(kit, gmail, "gmail_search_messages", search),
        result_tokens(kit, gmail, "gmail_search_messages", search | {"bodies": True}),
        result_tokens(
            kit,
            rig.calendar_connector(),
            "calendar_list_events",
            {"time_min": rig.bulk_events_from().isoformat()},
        ),
    ]


def sharepoint_results(rig: RemoteSharePointRig) -> list[Target]:
    """A page of a folder's items."""
    return [
        result_tokens(
            rig.toolkit(), rig.connector(), "sharepoint_list_children", {"site": SITE, "path": "Bulk"}
        )
    ]
