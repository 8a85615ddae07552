"""Builds the sandbox's workspace from `seed.json`; every seeded object has a stable id (`seed_id`)."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from charter.sandboxes.clock import Clock
from charter.sandboxes.notion.properties import empty_value
from charter.sandboxes.notion.render import BLOCK_TYPES
from charter.sandboxes.notion.state import (
    Block,
    Comment,
    Database,
    DataSource,
    NotionState,
    Page,
    User,
    rich_text,
)
from charter.schemas.types import JsonObject as Seed

_NAMESPACE = uuid.UUID("6f1c4b0e-2d7a-4c55-9a43-1b8e6f0d2c11")
# 2025-01-14T09:00:00Z: seeded objects are one minute apart from here, oldest first.
SEED_EPOCH = 1736845200.0


def seed_id(key: str) -> str:
    """The id of the seeded object called `key` (e.g. `team-home`, `projects`)."""
    return str(uuid.uuid5(_NAMESPACE, key))


@lru_cache(maxsize=1)
def _seed_text() -> str:
    return resources.files("charter.sandboxes.notion").joinpath("seed.json").read_text("utf-8")


def load_seed() -> Seed:
    return cast(Seed, json.loads(_seed_text()))


class _Builder:
    def __init__(self, state: NotionState) -> None:
        self.state = state
        self.at = SEED_EPOCH
        self.author = ""

    def tick(self) -> float:
        self.at += 60
        return self.at

    def blocks(self, parent_id: str, items: list[Seed], path: str) -> None:
        for i, raw in enumerate(items):
            kind = next(k for k in raw if k in BLOCK_TYPES)
            payload: Seed = {}
            if kind != "divider":
                payload = {"rich_text": [rich_text(str(raw[kind]))], "color": "default"}
            if kind == "to_do":
                payload["checked"] = bool(raw.get("checked"))
            if kind == "code":
                payload.update(language=raw.get("language", "plain text"), caption=[])
            at = self.tick()
            block_id = seed_id(f"{path}/{i}")
            self.state.blocks[block_id] = Block(block_id, kind, payload, parent_id, at, at, self.author)
            self.state.content_of(parent_id).append(block_id)
            self.blocks(block_id, raw.get("children", []), f"{path}/{i}")

    def page(self, raw: Seed) -> None:
        page_id, at = seed_id(raw["key"]), self.tick()
        title = {"title": {"id": "title", "type": "title", "title": [rich_text(raw["title"])]}}
        parent: dict[str, Any] = {"type": "workspace", "workspace": True}
        if "parent" in raw:
            parent = {"type": "page_id", "page_id": seed_id(raw["parent"])}
        self.state.pages[page_id] = Page(page_id, parent, title, at, at, self.author, self.author)
        if "parent" in raw:
            child = Block(
                page_id, "child_page", {"title": raw["title"]}, parent["page_id"], at, at, self.author
            )
            self.state.blocks[page_id] = child
            self.state.content_of(parent["page_id"]).append(page_id)
        if raw.get("shared"):
            self.state.shared.add(page_id)
        if raw.get("in_trash"):
            self.state.pages[page_id].in_trash = True
            if page_id in self.state.blocks:
                self.state.blocks[page_id].in_trash = True
        self.blocks(page_id, raw.get("content", []), raw["key"])
        for n, text in enumerate(raw.get("comments", [])):
            parent_json = {"type": "page_id", "page_id": page_id}
            comment_id = seed_id(f"{raw['key']}/comment/{n}")
            thread = seed_id(f"{raw['key']}/discussion/{n}")
            comment = Comment(comment_id, parent_json, thread, [rich_text(text)], self.tick(), self.author)
            self.state.comments.append(comment)

    def database(self, raw: Seed) -> None:
        database_id, at = seed_id(raw["key"]), self.tick()
        sources = []
        for source_raw in raw["data_sources"]:
            sources.append(self.data_source(database_id, source_raw))
        parent_id = seed_id(raw["parent"])
        self.state.databases[database_id] = Database(database_id, parent_id, raw["title"], sources, at, at)
        block = Block(database_id, "child_database", {"title": raw["title"]}, parent_id, at, at, self.author)
        self.state.blocks[database_id] = block
        self.state.content_of(parent_id).append(database_id)

    def data_source(self, database_id: str, raw: Seed) -> str:
        source_id, at = seed_id(raw["key"]), self.tick()
        schema: dict[str, Seed] = {}
        for name, prop in raw["schema"].items():
            config: Seed = {}
            if "options" in prop:
                config["options"] = [
                    {"id": f"opt{i + 1}", "name": o, "color": "default"}
                    for i, o in enumerate(prop["options"])
                ]
            schema[name] = {"id": prop["id"], "name": name, "type": prop["type"], prop["type"]: config}
        self.state.data_sources[source_id] = DataSource(source_id, database_id, raw["title"], schema, at, at)
        for n, row in enumerate(raw.get("rows", [])):
            self.row(source_id, schema, row, seed_id(f"{raw['key']}/row/{n}"))
        return source_id

    def row(self, source_id: str, schema: dict[str, Seed], row: Seed, page_id: str) -> None:
        properties = {name: empty_value(prop) for name, prop in schema.items()}
        for name, value in row.items():
            prop = schema[name]
            kind = prop["type"]
            options = {o["name"]: o for o in prop[kind].get("options", [])}
            stored: Any = value
            if kind in ("title", "rich_text"):
                stored = [rich_text(value)]
            elif kind in ("select", "status"):
                stored = dict(options[value])
            elif kind == "multi_select":
                stored = [dict(options[v]) for v in value]
            elif kind == "date":
                stored = {"start": value, "end": None, "time_zone": None}
            properties[name] = {"id": prop["id"], "type": kind, kind: stored}
        at = self.tick()
        parent = {"type": "data_source_id", "data_source_id": source_id}
        self.state.pages[page_id] = Page(page_id, parent, properties, at, at, self.author, self.author)


def build_state(clock: Clock, seed: Seed | None = None) -> NotionState:
    """A new workspace holding exactly the seed data."""
    data = seed if seed is not None else load_seed()
    state = NotionState(clock, workspace_name=data["workspace"])
    state.bot_id = seed_id("bot")
    state.workspace_id = seed_id("workspace")
    builder = _Builder(state)
    for raw in data["users"]:
        user = User(seed_id(f"user/{raw['key']}"), raw["name"], raw["email"])
        state.users[user.email] = user
    builder.author = state.users[data["users"][0]["email"]].id
    for raw in data["pages"]:
        builder.page(raw)
    for raw in data["databases"]:
        builder.database(raw)
    return state
