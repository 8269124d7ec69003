"""Event handlers: what Slack should show for each kind of event."""
