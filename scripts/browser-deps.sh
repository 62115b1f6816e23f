#!/usr/bin/env bash
# Installs Debian's Chromium for the real-browser UI test (Playwright drives it; no browser download).
set -u
command -v chromium >/dev/null 2>&1 && exit 0
[ "$(id -u)" = 0 ] || { echo "not root: cannot apt-get install chromium" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null 2>&1
command -v chromium >/dev/null 2>&1
