#!/usr/bin/env bash
# Runs the whole test suite (real redis-server processes, the local Slack emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test --browser  # the browser test needs chromium
.venv/bin/python -m ruff check .
.venv/bin/python -m mypy  # [tool.mypy] in pyproject.toml: app, listeners, views
workers="${PYTEST_WORKERS:-$(nproc)}"
exec .venv/bin/python -m pytest -n "$workers" -p no:cacheprovider "$@"
