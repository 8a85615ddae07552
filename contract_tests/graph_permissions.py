"""Microsoft Graph's delegated permissions per endpoint, as data, and the check each action's scopes pass.

Source: the "Permissions" table of each v1.0 API reference page on learn.microsoft.com/graph/api/
(page names below), which lists every delegated permission an endpoint accepts, least privileged
first. Files.Read and Files.ReadWrite are listed there too, but reach only the signed-in person's
own OneDrive (`/me/drive`), never a SharePoint library: they serve only an own-drive action.

A connector names the endpoints each action calls (`api_endpoints`). Then, for each action:
- SUFFICIENT: every endpoint accepts one of the declared scopes (one that reaches libraries);
- MINIMAL: no declared scope could give way to a less privileged one (by the provider's order)
  serving every endpoint it serves, and no declared scope is idle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from charter.auth.providers.microsoft import RANK

SOURCE = "learn.microsoft.com/graph/api/<page>?view=graph-rest-1.0, section Permissions (delegated)"
OWN_DRIVE_ONLY = frozenset({"Files.Read", "Files.ReadWrite"})
_FILES_READ = (
    "Files.Read",
    "Files.ReadWrite",
    "Files.Read.All",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
)
_FILES_WRITE = ("Files.ReadWrite", "Files.ReadWrite.All", "Sites.ReadWrite.All")
_SITES_READ = ("Sites.Read.All", "Sites.ReadWrite.All")

# Endpoint (its reference page) → delegated permissions it accepts, least privileged first.
PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "site-search": _SITES_READ,
    "site-getbypath": _SITES_READ,
    "drive-list": _FILES_READ,
    "driveitem-get": _FILES_READ,
    "driveitem-list-children": _FILES_READ,
    "driveitem-search": _FILES_READ,
    "driveitem-get-content": _FILES_READ,
    "driveitem-delta": _FILES_READ,
    "driveitem-list-permissions": _FILES_READ,
    "search-query-driveitem": (
        "Files.Read.All",
        "Files.ReadWrite.All",
        "Sites.Read.All",
        "Sites.ReadWrite.All",
    ),
    "search-query-listitem-site": _SITES_READ,
    "list-get": _SITES_READ,
    "columndefinition-list": _SITES_READ,
    "listitem-list": _SITES_READ,
    "listitem-get": _SITES_READ,
    "listitem-update": ("Sites.ReadWrite.All",),
    "driveitem-put-content": _FILES_WRITE,
    "driveitem-createuploadsession": _FILES_WRITE,
    "driveitem-post-children": _FILES_WRITE,
    "driveitem-delete": _FILES_WRITE,
    "driveitem-update": _FILES_WRITE,
    "driveitem-createlink": _FILES_WRITE,
    "driveitem-invite": _FILES_WRITE,
}


def reaches_libraries(scope: str) -> bool:
    return scope not in OWN_DRIVE_ONLY


def graph_scope_problems(
    declared: Sequence[str], endpoints: Sequence[str], *, own_drive: bool = False
) -> list[str]:
    """Why `declared` is not a sufficient and minimal set of scopes for calling `endpoints`.

    `own_drive`: the endpoints are called on the person's own OneDrive, which every scope reaches.
    """
    usable = (lambda scope: True) if own_drive else reaches_libraries
    unknown = [e for e in endpoints if e not in PERMISSIONS]
    if unknown:
        return [f"the permission reference data has no endpoint {', '.join(unknown)}"]
    if not endpoints:
        return ["names no Graph endpoint it calls, so its scopes cannot be checked"]
    problems = []
    for endpoint in endpoints:
        if not any(s in PERMISSIONS[endpoint] and usable(s) for s in declared):
            accepted = ", ".join(PERMISSIONS[endpoint])
            problems.append(
                f"INSUFFICIENT: {endpoint} accepts none of {sorted(declared)} (it accepts {accepted})"
            )
    candidates = [s for s in RANK if usable(s)]
    for scope in declared:
        served = [e for e in endpoints if scope in PERMISSIONS[e]]
        if not served:
            problems.append(f"NOT MINIMAL: {scope} serves none of the endpoints called; drop it")
            continue
        lower = [t for t in candidates if RANK[t] < RANK[scope] and all(t in PERMISSIONS[e] for e in served)]
        if lower:
            problems.append(
                f"NOT MINIMAL: {', '.join(sorted(lower))} would serve {', '.join(served)} instead of {scope}"
            )
    return problems


__all__ = ["OWN_DRIVE_ONLY", "PERMISSIONS", "SOURCE", "graph_scope_problems"]
