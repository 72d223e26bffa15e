#!/usr/bin/env bash
# The portal's browser tests drive Debian's Chromium (/usr/bin/chromium) through the pip
# `playwright` package; no browser is ever downloaded. Installs the package when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null)"; exit 0; fi
echo "ensure-chromium: installing Chromium from Debian packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null)"
