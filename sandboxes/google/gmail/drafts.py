"""Gmail v1 drafts and sending: drafts.create / get / list / update / delete / send, messages.send."""
