"""Outgoing webhooks: an owner's endpoints told, signed, of what happens in the strategy."""
