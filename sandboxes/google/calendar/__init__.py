"""Calendar v3 on the Google sandbox."""
