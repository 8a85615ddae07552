"""The SharePoint connector passes the contract suite against the Microsoft Graph sandbox."""

from charter.contract_tests import contract_suite
from charter.contract_tests.harnesses.sharepoint import SharePointHarness

TestSharePointConnectorContract = contract_suite(SharePointHarness)
