"""Outgoing build webhooks: /api/v3/projects/<project>/webhooks/."""
