"""The Notion connector passes the contract suite against the Notion sandbox."""

from charter.contract_tests import contract_suite
from charter.contract_tests.harnesses.notion import NotionHarness

TestNotionContract = contract_suite(NotionHarness)
