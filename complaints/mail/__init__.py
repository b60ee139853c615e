"""Outgoing email: an outbox table filled in the deciding transaction, and its delivery."""
