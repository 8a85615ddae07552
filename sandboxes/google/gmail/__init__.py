"""Gmail v1 on the Google sandbox."""
