"""Scopes proved from Google's discovery documents: each action's scopes are sufficient and minimal.

Google's discovery documents (shipped inside google-api-python-client) list, for every API method,
the OAuth scopes it accepts. A harness names the document (`discovery_api = ("gmail", "v1")`) and
the connector (or the harness) the methods each action calls (`api_methods`, written with
`charter.auth.providers.google.method_use`). Then, for each action:
- SUFFICIENT: every method use is accepted under one of the declared scopes;
- MINIMAL: for each declared scope, no less privileged scope (by the provider's documented order)
  would serve every use that scope serves, and no declared scope is idle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from charter.auth.providers.google import RANK, parse_method_use, serves
from charter.contract_tests.harness import ContractHarness


def accepted_scopes(document: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Method id → the scopes the discovery document says it accepts."""
    out: dict[str, tuple[str, ...]] = {}

    def walk(resource: Mapping[str, Any]) -> None:
        for method in (resource.get("methods") or {}).values():
            out[str(method["id"])] = tuple(method.get("scopes") or ())
        for child in (resource.get("resources") or {}).values():
            walk(child)

    walk(document)
    return out


def scope_problems(
    declared: Sequence[str], uses: Sequence[str], accepted: Mapping[str, Sequence[str]]
) -> list[str]:
    """Why `declared` is not a sufficient and minimal set of scopes for the method `uses`."""
    problems: list[str] = []
    parsed = [(use, *parse_method_use(use)) for use in uses]
    unknown = [method for _, method, _ in parsed if method not in accepted]
    if unknown:
        return [f"the discovery document has no method {', '.join(unknown)}"]
    if not parsed:
        return ["names no API method it calls, so its scopes cannot be checked"]
    for use, method, tags in parsed:
        if not any(serves(scope, accepted[method], tags) for scope in declared):
            problems.append(
                f"INSUFFICIENT: {use} accepts none of {sorted(declared)} "
                f"(it accepts {sorted(s for s in accepted[method] if serves(s, accepted[method], tags))})"
            )
    candidates = {scope for scopes in accepted.values() for scope in scopes if scope in RANK}
    for scope in declared:
        served = [(m, t) for _, m, t in parsed if serves(scope, accepted[m], t)]
        if not served:
            problems.append(f"NOT MINIMAL: {scope} serves none of the methods called; drop it")
            continue
        if scope not in RANK:
            problems.append(f"{scope} has no place in the provider's privilege order")
            continue
        cheaper = sorted(
            other
            for other in candidates
            if RANK[other] < RANK[scope] and all(serves(other, accepted[m], t) for m, t in served)
        )
        if cheaper:
            problems.append(
                f"NOT MINIMAL: {', '.join(cheaper)} would do instead of the more privileged {scope}"
            )
    return problems


def action_scope_problems(harness_cls: type[ContractHarness], action: str) -> list[str] | None:
    """The problems of one action of a Google harness; None when the harness names no discovery API."""
    api: tuple[str, str] | None = getattr(harness_cls, "discovery_api", None)
    api_methods: Callable[[], Mapping[str, Sequence[str]]] | None = getattr(harness_cls, "api_methods", None)
    if api is None or api_methods is None:
        return None
    methods = api_methods()
    spec = harness_cls.connector_cls.actions[action]
    if action not in methods:
        return [f"{action}: the harness does not say which API methods it calls"]
    # Imported here: a suite for a connector of another provider needs no Google client library.
    from charter.connectors.google import discovery_document

    accepted = accepted_scopes(discovery_document(*api))
    return [f"{action}: {p}" for p in scope_problems(spec.scopes, methods[action], accepted)]


__all__ = ["accepted_scopes", "action_scope_problems", "scope_problems"]
