#!/usr/bin/env bash
# Install the headless browser that the viewer's browser test drives
# (tests/integration/test_viewer_browser.py: selenium with Debian's chromium + chromedriver).
# Does nothing when both are present; installs them with apt-get when missing and running as
# root; otherwise says why not and exits 1 (the test then skips, saying so).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
  echo "browser: $(chromium --version 2>/dev/null || echo chromium), $(chromedriver --version 2>/dev/null | head -n1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "browser: chromium/chromedriver missing and not root: cannot install them" >&2
  exit 1
fi
if ! have apt-get; then
  echo "browser: chromium/chromedriver missing and no apt-get here" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver
echo "browser: $(chromium --version 2>/dev/null), $(chromedriver --version 2>/dev/null | head -n1)"
