"""`charter console`: the person's local web console (approvals with passkeys, grants, connections, audit).

Kept free of imports: the CLI reads `charter.cli.console.protection` without the console's extra.
"""
