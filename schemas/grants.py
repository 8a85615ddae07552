"""The claims inside a grant: who may do what, where, until when, how many times."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verb = Literal["read", "draft", "write"]
VERBS: tuple[Verb, ...] = ("read", "draft", "write")
# The JSON Schema key marking a request field a grant constraint limits (its value: the constraint name).
CONSTRAINT_MARKER = "x-charter-constraint"


class GrantClaims(BaseModel):
    """A grant's signed content. Constraints map a name (`repos`) to the allowed values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    parent_id: str | None = None
    subject: str = Field(description="The person on whose behalf the agent acts.")
    agent: str
    connections: tuple[str, ...]
    verbs: tuple[Verb, ...]
    actions: tuple[str, ...] | None = Field(
        default=None, description="Tool names allowed; None means every action of the verbs."
    )
    destructive: tuple[str, ...] = Field(
        default=(), description="Destructive actions the person named explicitly."
    )
    constraints: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    budget: int | None = Field(default=None, description="Maximum number of calls; None is unlimited.")
    write_rate: int | None = Field(
        default=None,
        ge=1,
        description="Writes of one action per bulk window without a person (None: policy).",
    )
    issued_at: datetime
    expires_at: datetime
