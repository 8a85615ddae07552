"""Static checks of a connector class: what every action must declare before it is ever run."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from charter.auth.providers import providers
from charter.connectors.base import REACHES, RISKS, ActionSpec, Connector
from charter.schemas import VERBS, Draft, WriteResult

MAX_DESCRIPTION = 200


def connector_problems(connector_cls: type[Connector]) -> list[str]:
    """What is wrong with the connector class itself (name, provider, actions)."""
    problems: list[str] = []
    name = getattr(connector_cls, "name", "")
    if not isinstance(name, str) or not name.isidentifier():
        problems.append(f"{connector_cls.__name__}.name must be a short identifier, got {name!r}")
    provider = getattr(connector_cls, "provider", None)
    if provider not in providers():
        problems.append(
            f"{connector_cls.__name__}.provider {provider!r} is not a known provider "
            f"({', '.join(providers())}); register it under the 'charter.providers' entry-point group"
        )
    if not connector_cls.actions:
        problems.append(f"{connector_cls.__name__} declares no actions")
    by_request: dict[tuple[str, type], list[str]] = {}
    for spec in connector_cls.actions.values():
        by_request.setdefault((spec.verb, spec.request), []).append(spec.name)
    for (verb, request), names in by_request.items():
        if len(names) > 1:
            problems.append(
                f"{', '.join(names)} are {verb} actions taking the same {request.__name__}: "
                f"{verb}() cannot tell them apart; give each its own request model"
            )
    return problems


def action_problems(
    connector_cls: type[Connector], spec: ActionSpec, unscoped: Iterable[str] = ()
) -> list[str]:
    """What is wrong or missing in one action's declaration."""
    where = f"{connector_cls.__name__}.{spec.name}"
    problems = [f"{where}: {p}" for p in _model_problems(spec)]
    problems += [f"{where}: {p}" for p in _scope_problems(connector_cls, spec, frozenset(unscoped))]
    problems += [f"{where}: {p}" for p in _description_problems(spec.description)]
    unknown = set(spec.risks) - set(RISKS)
    if unknown:
        problems.append(f"{where}: unknown risk tags {sorted(unknown)}; use {RISKS}")
    if spec.verb == "draft":
        problems += [f"{where}: {p}" for p in _commit_problems(connector_cls, spec)]
    problems += [f"{where}: {p}" for p in reach_problems(spec)]
    return problems


def reach_problems(spec: ActionSpec) -> list[str]:
    """A draft or write must say whom it reaches; a draft reaches nobody but the person."""
    if spec.verb == "read":
        return []
    if spec.reach is None:
        return [
            f"a {spec.verb} declares no reach: say whom it reaches at most with "
            f"`reaches=` ({', '.join(REACHES)}), and narrow it per call in `reach_for`"
        ]
    if spec.reach not in REACHES:
        return [f"reach {spec.reach!r} is not one of {REACHES}"]
    if spec.verb == "draft" and spec.reach != "person":
        return [
            f"a draft reaching {spec.reach!r} is not a draft: what others can see is a write, "
            "or must be held in Charter's draft store"
        ]
    return []


def _model_problems(spec: ActionSpec) -> list[str]:
    problems: list[str] = []
    if spec.verb not in VERBS:
        problems.append(f"verb {spec.verb!r} is not one of {VERBS}")
    if not (isinstance(spec.request, type) and issubclass(spec.request, BaseModel)):
        problems.append("the request is not a pydantic model")
    else:
        try:
            spec.request.model_json_schema()
        except Exception as exc:  # any failure means agents get no tool schema
            problems.append(f"the request model has no JSON Schema: {exc}")
    expected = {"draft": Draft, "write": WriteResult}.get(spec.verb)
    if expected is not None and spec.result is not expected:
        problems.append(f"a {spec.verb} action must return {expected.__name__}")
    if expected is None and not (isinstance(spec.result, type) and issubclass(spec.result, BaseModel)):
        problems.append("a read action must declare its result model as the return annotation")
    return problems


def _scope_problems(connector_cls: type[Connector], spec: ActionSpec, unscoped: frozenset[str]) -> list[str]:
    if not spec.scopes:
        if spec.name in unscoped:
            return []
        return ["declares no scope; name the provider scope it needs (or list it as unscoped in the harness)"]
    provider = providers().get(getattr(connector_cls, "provider", ""))
    if provider is None:
        return []
    problems = []
    for scope in spec.scopes:
        others = [s for s in spec.scopes if s != scope]
        if scope in provider.expand(others):
            problems.append(f"scope {scope!r} is already included in {others}: declare the narrower set")
    return problems


def _description_problems(description: str) -> list[str]:
    if not description.strip():
        return ["has no description; its docstring's first line is what an LLM reads"]
    problems = []
    if "\n" in description:
        problems.append("the description must be one line")
    if len(description) > MAX_DESCRIPTION:
        problems.append(f"the description is {len(description)} characters; keep it under {MAX_DESCRIPTION}")
    return problems


def _commit_problems(connector_cls: type[Connector], spec: ActionSpec) -> list[str]:
    target = connector_cls.actions.get(spec.commits or "")
    if target is None:
        return [f"commits {spec.commits!r}, which is not an action"]
    if target.verb != "write":
        return [f"commits {spec.commits!r}, which is a {target.verb} action, not a write"]
    draft_fields = set(spec.request.model_fields)
    commit_fields = set(target.request.model_fields)
    required = {n for n, f in target.request.model_fields.items() if f.is_required()}
    problems = []
    if draft_fields - commit_fields:
        problems.append(f"fields {sorted(draft_fields - commit_fields)} are unknown to {target.name}")
    if required - draft_fields:
        problems.append(f"lacks fields {sorted(required - draft_fields)} that {target.name} requires")
    return problems


__all__ = ["MAX_DESCRIPTION", "action_problems", "connector_problems", "reach_problems"]
