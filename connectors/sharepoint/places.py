"""Sites and libraries by address: resolved to Graph ids once per connector, and shared by every action."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from charter.connectors.sharepoint.client import GraphClient
from charter.connectors.sharepoint.cursors import encode_cursor
from charter.connectors.sharepoint.own_drive import MY_SITE
from charter.schemas import NotFound
from charter.schemas.types import JsonObject


class Places:
    """Where a request's site and library are in Graph; the base of the reads and the writes."""

    api: GraphClient
    credentials: Any
    sleep: Any
    max_rate_limit_wait: float
    # Site and library ids by address (a connector serves one connection); set by the connector.
    places: dict[str, str]

    def site(self, address: str) -> JsonObject:
        """The site at `host/path`, as Graph describes it."""
        host, _, path = address.partition("/")
        return self.api.get(f"/sites/{host}:/{quote(path, safe='/')}", f"site {address}")

    def site_id(self, address: str) -> str:
        key = "site:" + address.lower()
        if key not in self.places:
            self.places[key] = str(self.site(address)["id"])
        return self.places[key]

    def drive_id(self, address: str, library: str) -> str:
        """The library's drive id (`MY_SITE` itself for the person's own OneDrive, see `drive_url`)."""
        if address == MY_SITE:
            return MY_SITE
        key = f"drive:{address.lower()}:{library.lower()}"
        if key not in self.places:
            site = self.site_id(address)
            drives = self.api.get(
                f"/sites/{site}/drives", f"the libraries of {address}", {"$select": "id,name"}
            )
            found = next(
                (d for d in drives.get("value", []) if str(d.get("name")).lower() == library.lower()), None
            )
            if found is None:
                names = ", ".join(str(d.get("name")) for d in drives.get("value", []))
                raise NotFound(f"{address} has no library {library!r}; it has {names or 'none'}.")
            self.places[key] = str(found["id"])
        return self.places[key]

    @staticmethod
    def next_cursor(request: BaseModel, data: JsonObject) -> str | None:
        """A cursor for the page after `data`, sealed to `request`'s listing; None on the last page."""
        link = data.get("@odata.nextLink")
        return encode_cursor(request, str(link)) if isinstance(link, str) else None


__all__ = ["Places"]
