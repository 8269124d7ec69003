"""Multi-workspace mode's install pages: Slack's OAuth v2 flow served over HTTP to the admin's
browser (the events still come over the one Socket Mode connection)."""
