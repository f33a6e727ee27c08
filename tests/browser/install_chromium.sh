#!/usr/bin/env bash
# Debian's Chromium (and its driver) for the dashboard's browser test in tests/browser.
# Playwright drives this browser through `executable_path`; Playwright's own browser download
# is not used. Needs root or sudo; does nothing when both are installed already.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium is installed: $(chromium --version 2>/dev/null)"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends \
    chromium chromium-driver
echo "installed: $(chromium --version 2>/dev/null)"
