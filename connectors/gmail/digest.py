"""The digest a reviewed Gmail draft is bound to: the whole message, as a recipient would get it.

A person approves a preview; Gmail sends whatever the draft holds at that moment, and anyone with
the compose scope can edit a draft in between. So the draft's digest is taken when Charter writes
it and compared when it is sent. It covers every header (Reply-To, Sender, a second To, In-Reply-To,
the attribution headers, anything added) and every MIME part with its headers, type, parameters,
file name and decoded content, preamble and epilogue included. It leaves out only what Gmail or the
transport may rewrite without changing what is delivered: `Date`, `Message-ID`, `Received`, each
part's `MIME-Version` and `Content-Transfer-Encoding`, the multipart boundaries and text charsets
(text is compared decoded, line endings and trailing blanks normalised).
"""

from __future__ import annotations

import hashlib
import json
from email.message import Message
from email.parser import BytesParser
from email.policy import default

from charter.connectors.gmail.mime import decode_data, normalise_text

# Rewritten by Gmail or the transport without changing what the recipients get.
VOLATILE_HEADERS = frozenset({"date", "message-id", "received", "x-received"})
# Represented by the part's type and parameters, or compared decoded instead.
PART_ENCODING_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})
UNBOUND_PARAMS = frozenset({"boundary", "charset"})


def message_digest(raw: str) -> str:
    """`sha256:` and the hex digest of a base64url raw message's canonical form."""
    message = BytesParser(policy=default).parsebytes(decode_data(raw))
    parts = [_part(part, top=index == 0) for index, part in enumerate(message.walk())]
    canonical = json.dumps(parts, ensure_ascii=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _part(part: Message, *, top: bool) -> dict[str, object]:
    skipped = PART_ENCODING_HEADERS | (VOLATILE_HEADERS if top else frozenset())
    headers = [
        [name.lower(), " ".join(str(value).split())]
        for name, value in part.items()
        if name.lower() not in skipped
    ]
    params = sorted(
        [key.lower(), str(value)]
        for key, value in (part.get_params() or [])[1:]
        if key.lower() not in UNBOUND_PARAMS
    )
    out: dict[str, object] = {"type": part.get_content_type(), "params": params, "headers": headers}
    if part.is_multipart():
        out["preamble"] = normalise_text(part.preamble or "")
        out["epilogue"] = normalise_text(part.epilogue or "")
    else:
        out["content"] = _content(part)
    return out


def _content(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if part.get_content_maintype() == "text":
        charset = part.get_content_charset() or "utf-8"
        try:
            return "text:" + normalise_text(data.decode(charset, errors="replace"))
        except LookupError:
            pass  # an unknown charset: compare the bytes themselves
    return "bytes:" + hashlib.sha256(data).hexdigest()


__all__ = ["VOLATILE_HEADERS", "message_digest"]
