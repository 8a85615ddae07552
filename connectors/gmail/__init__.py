"""Gmail for Charter: search and read mail, native drafts and replies, exactly-once sends, labels, trash."""

from charter.connectors.gmail.connector import METHODS, GmailConnector
from charter.connectors.gmail.models import (
    Attachment,
    GetMessage,
    GetThread,
    Label,
    LabelChange,
    ListLabels,
    Message,
    MessageSummary,
    MessageSync,
    ModifyLabels,
    NewMessage,
    ReplyMessage,
    SearchMessages,
    SendDraft,
    SyncMessages,
    Thread,
    TrashMessage,
)

__all__ = [
    "METHODS",
    "Attachment",
    "GetMessage",
    "GetThread",
    "GmailConnector",
    "Label",
    "LabelChange",
    "ListLabels",
    "Message",
    "MessageSummary",
    "MessageSync",
    "ModifyLabels",
    "NewMessage",
    "ReplyMessage",
    "SearchMessages",
    "SendDraft",
    "SyncMessages",
    "Thread",
    "TrashMessage",
]
