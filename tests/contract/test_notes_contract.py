"""The contract suite passes on a correct connector (the in-memory notes service)."""

from notes_connector import NotesHarness

from charter.contract_tests import contract_suite

TestNotesContract = contract_suite(NotesHarness)
