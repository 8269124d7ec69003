"""Beacon: incident response inside Slack."""
