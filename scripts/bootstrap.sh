#!/usr/bin/env bash
# Installs what Beacon needs on a Debian-like machine, in one of two profiles:
#   run  (scripts/run.sh): redis-server and a virtualenv in .venv with the runtime
#        dependencies only (`pip install -e .`);
#   test (scripts/test.sh): run, plus redis-sentinel (the tests run Sentinel failovers),
#        prometheus-alertmanager (an e2e test runs Beacon behind the real one) and the
#        [test] extra (pytest, ruff, mypy, ...); with --browser also Debian's chromium and an
#        emoji font, for the browser test.
# Safe to run again: skips what is there. A stamp in .venv names the profile and pyproject's
# hash, so a run install is topped up by a test one, and a test install serves run too.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=run
browser=""
for arg in "$@"; do
  case "$arg" in
    run|test) profile="$arg" ;;
    --browser) browser=1 ;;
    *) echo "bootstrap: unknown argument '$arg' (usage: scripts/bootstrap.sh [run|test] [--browser])" >&2
       exit 2 ;;
  esac
done
if [ -n "$browser" ] && [ "$profile" != test ]; then
  echo "bootstrap: --browser is part of the test profile (scripts/bootstrap.sh test --browser)" >&2
  exit 2
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv python3-pip)
if [ "$profile" = test ]; then
  command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
  command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
fi
if [ -n "$browser" ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} with apt-get"
  apt_install "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv .venv 2>/dev/null; then
    apt_install python3-venv
    rm -rf .venv
    python3 -m venv .venv
  fi
fi
hash=$(sha1sum pyproject.toml | cut -c1-12)
# The test profile's dependencies include the run profile's.
if [ "$profile" = test ]; then wanted=(test); else wanted=(run test); fi
for have in "${wanted[@]}"; do
  if [ -f ".venv/.installed-$have-$hash" ]; then exit 0; fi
done
if [ "$profile" = test ]; then spec=".[test]"; else spec="."; fi
echo "bootstrap: installing Python dependencies ($profile profile) into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e "$spec"
rm -f .venv/.installed-*
touch ".venv/.installed-$profile-$hash"
