"""The notes service's OAuth provider: its name and the two scopes it grants."""

from charter.auth.providers import Provider

READ_SCOPE = "notes:read"
WRITE_SCOPE = "notes:write"

# Registered under `charter.providers`, so grants, consent and the contract suite know it.
NOTES = Provider(name="notes", display_name="Notes")
