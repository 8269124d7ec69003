"""The intake HTTP API: how machines (alerting, automation, investigators) talk to Beacon."""
