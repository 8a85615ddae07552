"""Puts this folder's helper modules (faulted_writes, github_credentials) on the import path of the
tests in it and in the folders below it; fixtures live in each service's own conftest."""
