#!/usr/bin/env bash
# Installs what Beacon needs on a Debian-like machine: redis-server and redis-sentinel (Debian
# packages; the tests run Sentinel failovers) and a virtualenv in .venv with the Python
# dependencies. Safe to run again; skips what is there.
# --browser (scripts/test.sh): also Debian's chromium and an emoji font, for the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
browser=""
if [ "${1:-}" = "--browser" ]; then browser=1; fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv python3-pip)
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
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
