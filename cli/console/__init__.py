"""`charter console`: the person's local web console (approvals with passkeys, grants, connections, audit).

Kept free of imports: importing the package must not need the console's extra.
"""
