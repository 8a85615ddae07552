"""Markers on request-model fields that grants and policy read: constrained resources, recipients."""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import BaseModel

from charter.schemas.grants import CONSTRAINT_MARKER as CONSTRAINT_KEY


def resource_field(constraint: str, description: str, **kwargs: Any) -> Any:
    """A request field naming a resource that grants can constrain (e.g. `repos=acme/web`).

    The Toolkit refuses a call whose value for this field is outside the grant's constraint.
    """
    return pydantic.Field(description=description, json_schema_extra={CONSTRAINT_KEY: constraint}, **kwargs)


RECIPIENTS_KEY = "x-charter-recipients"


def recipient_field(description: str, **kwargs: Any) -> Any:
    """A request field holding email addresses a change reaches (to, cc, bcc, attendees).

    Policy reads these to apply recipient-domain rules and recipient limits.
    """
    return pydantic.Field(description=description, json_schema_extra={RECIPIENTS_KEY: True}, **kwargs)


def recipient_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Names of the fields of `model` marked with `recipient_field`."""
    return tuple(
        name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(RECIPIENTS_KEY)
    )


def constrained_fields(model: type[BaseModel]) -> dict[str, str]:
    """Field name → constraint name, for the fields a grant can restrict."""
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and isinstance(extra.get(CONSTRAINT_KEY), str):
            out[name] = str(extra[CONSTRAINT_KEY])
    return out
