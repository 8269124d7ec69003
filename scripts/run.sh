#!/usr/bin/env bash
# Runs the bot. Without REDIS_URL it starts an embedded redis-server (data in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
if [ -z "${BEACON_CONFIG:-}" ] && [ ! -f beacon.yml ]; then
  cp beacon.example.yml beacon.yml
  echo "run: created beacon.yml from beacon.example.yml; edit it to name your channels"
fi
exec .venv/bin/python -m app "$@"
