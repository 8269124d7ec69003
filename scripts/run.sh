#!/usr/bin/env bash
# Runs the bot (runtime dependencies only: scripts/bootstrap.sh run). Without REDIS_URL it
# starts an embedded redis-server (data in ./data). With no Slack tokens it runs the sandbox,
# which has its own config (sandbox/beacon.sandbox.yml): no beacon.yml is made for it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run

# Slack tokens from the environment or .env (where the settings read them too).
has_tokens() {
  [ -n "${SLACK_BOT_TOKEN:-}${SLACK_APP_TOKEN:-}" ] && return 0
  [ -f .env ] && grep -Eq '^[[:space:]]*(export[[:space:]]+)?SLACK_(BOT|APP)_TOKEN=[[:space:]]*["'\'']?[^"'\''[:space:]]' .env
}

sandbox=""
if [ "${1:-}" = sandbox ] || { [ $# -eq 0 ] && ! has_tokens; }; then sandbox=1; fi
if [ -z "$sandbox" ] && has_tokens && [ -z "${BEACON_CONFIG:-}" ] && [ ! -f beacon.yml ]; then
  cp beacon.example.yml beacon.yml
  echo "run: created beacon.yml from beacon.example.yml; edit it to name your channels"
fi
exec .venv/bin/python -m app "$@"
