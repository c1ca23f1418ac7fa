"""Sending an issue to its subscribers by mail: the subscriber list, the ledger of what was sent."""
