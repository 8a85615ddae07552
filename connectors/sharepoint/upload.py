"""Uploads: one PUT up to 4 MiB, an upload session above, in fragments aligned to 320 KiB.

SharePoint refuses PUTs over 4 MiB and fragments that are not multiples of 320 KiB (the last one
excepted). A session resumes from Graph's `nextExpectedRanges` after a lost fragment, so a cut
connection costs one fragment, not the whole file. Fragments go to the session's own URL without
an Authorization header: a token that expires during a long upload cannot break it.
"""

from __future__ import annotations

from charter.connectors.sharepoint.client import GraphClient
from charter.schemas import NotFound, UpstreamError
from charter.schemas.types import JsonObject

SIMPLE_LIMIT = 4 * 1024 * 1024
FRAGMENT_UNIT = 320 * 1024
# About 10 MiB per fragment, as Microsoft recommends, and a multiple of 320 KiB.
FRAGMENT = 32 * FRAGMENT_UNIT
MAX_RESUMES = 5


def fragment_size(total: int, wanted: int = FRAGMENT) -> int:
    """The fragment length to use: a positive multiple of 320 KiB, no larger than needed."""
    size = max(FRAGMENT_UNIT, wanted - wanted % FRAGMENT_UNIT)
    return min(size, max(FRAGMENT_UNIT, total + (-total % FRAGMENT_UNIT)))


def next_start(status: JsonObject) -> int | None:
    """The first byte Graph still expects (`nextExpectedRanges: ["12345-"]`), None when complete."""
    ranges = status.get("nextExpectedRanges") or []
    if not ranges:
        return None
    return int(str(ranges[0]).split("-", 1)[0])


def upload_in_session(
    api: GraphClient, url: str, data: bytes, subject: str, fragment: int = FRAGMENT
) -> JsonObject:
    """Send `data` through an open session's URL; returns the driveItem Graph made."""
    size = fragment_size(len(data), fragment)
    start, resumes = 0, 0
    while True:
        piece = data[start : start + size]
        try:
            answer = api.put_fragment(url, piece, start, len(data), subject)
        except UpstreamError:
            resumes += 1
            if resumes > MAX_RESUMES:
                raise
            # Ask how far Graph got: the fragment may have arrived even though the answer did not.
            try:
                status = api.session_status(url, subject)
            except NotFound:
                # The session is gone: the lost fragment was the last and the file is complete.
                # The write is retried, and its retry finds the file holding exactly these bytes.
                raise UpstreamError(f"the upload of {subject} may have completed; checking.") from None
            resumed = next_start(status)
            if resumed is None:
                raise
            start = resumed
            continue
        if answer.status in (200, 201):
            return answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 416:
            resumed = next_start(api.session_status(url, subject))
            if resumed is None:
                raise UpstreamError(f"Graph lost track of the upload of {subject}; upload it again.")
            start = resumed
            continue
        start = next_start(answer.body or {}) or start + len(piece)
