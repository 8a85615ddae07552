"""Contract harnesses for Charter's built-in connectors."""
