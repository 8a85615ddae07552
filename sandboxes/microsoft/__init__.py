"""Microsoft Graph (SharePoint and OneDrive) and the Entra ID v2 endpoints msal needs, on loopback."""

from charter.sandboxes.microsoft.entra import DEFAULT_CLIENT_ID
from charter.sandboxes.microsoft.sandbox import GraphSandbox
from charter.sandboxes.microsoft.seed import HOST, OWNER, TENANT_ID

__all__ = ["DEFAULT_CLIENT_ID", "HOST", "OWNER", "TENANT_ID", "GraphSandbox"]
