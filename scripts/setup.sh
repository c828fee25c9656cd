#!/usr/bin/env bash
# One idempotent set-up for `make serve`, `make test`, CI and the Dockerfile:
# Debian packages the daemon and its tests need, then .venv with the project.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(xvfb xauth xclip x11-utils)
# Extra Debian packages (e.g. chromium for the browser tests) come from $XHANDS_EXTRA_DEBS.
read -r -a EXTRA <<< "${XHANDS_EXTRA_DEBS:-}"
# Wanted but not required: `make test` asks for the browser here; if it cannot be
# installed, the tests that need it skip (or fail, under XHANDS_REQUIRE_ALL=1, as in CI).
read -r -a OPTIONAL <<< "${XHANDS_OPTIONAL_DEBS:-}"

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=""
missing_debs() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
    done
}
apt_install() {
    [ -n "$apt_updated" ] || { $SUDO apt-get update -q && apt_updated=1; } || return 1
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$@"
}

mapfile -t missing < <(missing_debs "${DEB_PACKAGES[@]}" "${EXTRA[@]}")
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}"
fi
mapfile -t missing < <(missing_debs "${OPTIONAL[@]}")
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing optional Debian packages: ${missing[*]}"
    apt_install "${missing[@]}" || echo "setup: WARNING: could not install ${missing[*]}; the tests that need them will skip" >&2
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=".venv/.xhands-installed-${XHANDS_EXTRAS-test}"  # one per set of extras
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    extras="${XHANDS_EXTRAS-test}"  # XHANDS_EXTRAS="" installs no extras (`make serve`, the Dockerfile's image)
    .venv/bin/pip install -q -e ".${extras:+[$extras]}"
    touch "$stamp"
fi
