"""Adapters from the domain to Slack's Web API (no Bolt here)."""
