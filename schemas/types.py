"""Type aliases shared across Charter: each defined here once, imported everywhere else."""

from __future__ import annotations

from typing import Any, Literal, get_args

# A decoded JSON value of any shape (object, array, string, number, bool or null), as a client
# library hands it back before a connector has checked it.
JsonValue = Any
# A decoded JSON object: a request body being built or a response already known to be an object.
JsonObject = dict[str, Any]

# What an action's effect may reach or undo; policy weighs these tags, connectors declare them.
# `hides`: the person stops seeing something they rely on (mail archived, marked read or
# relabelled, an issue closed); `rewrites`: something they rely on changes under them (an event
# moved or answered, a file replaced, a page or row edited, a commit). Removing is `destructive`.
Risk = Literal["external", "destructive", "sharing", "bulk", "hides", "rewrites"]
RISKS: tuple[Risk, ...] = get_args(Risk)
# Whom a call reaches, narrowest first: the person only, people inside the account's domain (or
# everyone who can read the repository, site or workspace), people outside it, anyone at all.
Reach = Literal["person", "domain", "outsiders", "public"]
REACHES: tuple[Reach, ...] = get_args(Reach)

__all__ = ["REACHES", "RISKS", "JsonObject", "JsonValue", "Reach", "Risk"]
