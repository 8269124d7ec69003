"""Adapters from the domain to Slack's Web API, and Block Kit checks (no Bolt here)."""
