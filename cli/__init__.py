"""The `charter` command line: connect accounts, grant agents, approve calls, read the audit log."""
