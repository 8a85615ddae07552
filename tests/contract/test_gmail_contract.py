"""The Gmail connector passes the contract suite against the Google sandbox."""

from charter.contract_tests import contract_suite
from charter.contract_tests.harnesses.gmail import GmailHarness

TestGmailContract = contract_suite(GmailHarness)
