"""The sandbox: Beacon against the Slack emulator, driven from a web page (no Slack workspace).

`python -m app sandbox` (or `python -m app` with no tokens) starts it through app.cli, which
hands it the bot to run; the sandbox itself imports nothing of app.main or app.cli.
"""
