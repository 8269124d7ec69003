"""Incidents, transitions and routing. No Slack or Bolt imports here."""
