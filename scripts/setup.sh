#!/usr/bin/env bash
# One idempotent set-up for `make serve`, `make test`, CI and the Dockerfile:
# Debian packages the daemon and its tests need, then .venv with the project.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(xvfb xauth xclip x11-utils)
# Extra Debian packages (e.g. chromium for the browser tests) come from $XHANDS_EXTRA_DEBS.
read -r -a EXTRA <<< "${XHANDS_EXTRA_DEBS:-}"

missing=()
for pkg in "${DEB_PACKAGES[@]}" "${EXTRA[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=".venv/.xhands-installed-${XHANDS_EXTRAS-test}"  # one per set of extras
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    extras="${XHANDS_EXTRAS-test}"  # XHANDS_EXTRAS="" installs no extras (the Dockerfile's image)
    .venv/bin/pip install -q -e ".${extras:+[$extras]}"
    touch "$stamp"
fi
