"""An example Charter connector for a small notes service: list, get, draft, create and archive notes."""

from charter_notes.connector import NotesConnector
from charter_notes.provider import NOTES, READ_SCOPE, WRITE_SCOPE

__all__ = ["NOTES", "READ_SCOPE", "WRITE_SCOPE", "NotesConnector"]
