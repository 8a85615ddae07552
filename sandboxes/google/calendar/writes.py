"""Calendar v3 writes: events.insert / patch / update / delete with sendUpdates and If-Match."""
