"""The standard contract suite on the notes connector, against its sandbox."""

from charter.contract_tests import contract_suite
from charter_notes.testing import NotesHarness

TestNotesContract = contract_suite(NotesHarness)
