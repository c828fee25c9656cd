#!/usr/bin/env bash
# The browser container's start command (Dockerfile CMD; also the Kubernetes example's):
# an Xvfb display, Chromium on it, and xhands beside it on port 10001.
#
#   container-start.sh                      all three (the default)
#   container-start.sh xvfb chromium        only the display and the browser (a pod's browser container)
#   container-start.sh xhands               only the daemon, for a display another container serves
#
# Settings (environment): DISPLAY (:99), XHANDS_SCREEN (1920x1080x24), XHANDS_HOST (0.0.0.0),
# XHANDS_PORT (10001), XHANDS_TOKEN (required when XHANDS_HOST is not loopback), XHANDS_ARGS
# (more `xhands serve` flags), XHANDS_WAIT_FOR_DISPLAY (60: seconds the daemon waits for a display
# another container serves, before it refuses to start), CHROMIUM_FLAGS, CHROMIUM_URL (about:blank),
# CHROMIUM_DEVTOOLS_PORT (9222: Chromium's DevTools on loopback, which xhands reaches with --cdp for
# Lightcone's navigate, html and tabs; empty: none).
#
# It stops when Xvfb or xhands stops (so the container's restart policy takes over), restarts
# Chromium when it exits, and on SIGTERM stops xhands first (it releases held keys), then
# Chromium, then Xvfb.
set -uo pipefail

export DISPLAY="${DISPLAY:-:99}"
XHANDS_SCREEN="${XHANDS_SCREEN:-1920x1080x24}"
XHANDS_HOST="${XHANDS_HOST:-0.0.0.0}"
XHANDS_PORT="${XHANDS_PORT:-10001}"
CHROMIUM_URL="${CHROMIUM_URL:-about:blank}"
CHROMIUM_DEVTOOLS_PORT="${CHROMIUM_DEVTOOLS_PORT-9222}"
devtools_flags=()
cdp_flags=()
if [ -n "$CHROMIUM_DEVTOOLS_PORT" ]; then
    devtools_flags=(--remote-debugging-port="$CHROMIUM_DEVTOOLS_PORT" --remote-debugging-address=127.0.0.1)
    cdp_flags=(--cdp "http://127.0.0.1:$CHROMIUM_DEVTOOLS_PORT")
fi
# No sandbox: Chromium's needs user namespaces, which a default container seccomp profile forbids.
# The background-networking flags keep a browser with no route out from retrying Google's hosts.
CHROMIUM_FLAGS="${CHROMIUM_FLAGS:---no-sandbox --disable-dev-shm-usage --disable-gpu --no-first-run --no-default-browser-check --disable-background-networking --disable-component-update --disable-sync --password-store=basic}"

roles=("$@")
[ ${#roles[@]} -eq 0 ] && roles=(xvfb chromium xhands)
has() { [[ " ${roles[*]} " == *" $1 "* ]]; }
say() { echo "container-start: $*" >&2; }

display_number="${DISPLAY#:}"
socket_path="/tmp/.X11-unix/X${display_number%%.*}"
pids=()  # in start order; stopped in reverse

wait_for_display() {
    for _ in $(seq 200); do
        [ -S "$socket_path" ] && return 0
        sleep 0.05
    done
    say "display $DISPLAY did not come up ($socket_path)"
    return 1
}

stop_all() {
    trap '' TERM INT
    local index
    for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
        kill -TERM "${pids[index]}" 2>/dev/null
        wait "${pids[index]}" 2>/dev/null
    done
}
trap 'stop_all; exit 0' TERM INT

if has xvfb; then
    Xvfb "$DISPLAY" -screen 0 "$XHANDS_SCREEN" -nolisten tcp -noreset &
    pids+=($!)
    wait_for_display || { stop_all; exit 1; }
fi

if has chromium; then
    has xvfb || wait_for_display || exit 1
    IFS=x read -r width height _ <<< "$XHANDS_SCREEN"
    (
        child=
        trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait; exit 0' TERM INT
        while :; do
            # shellcheck disable=SC2086  # the flags are a list of words
            chromium $CHROMIUM_FLAGS "${devtools_flags[@]}" --window-position=0,0 --window-size="$width,$height" "$CHROMIUM_URL" &
            child=$!
            wait "$child"
            say "chromium exited with status $?; starting it again"
            sleep 1
        done
    ) &
    pids+=($!)
fi

if has xhands; then
    # shellcheck disable=SC2086  # XHANDS_ARGS is a list of words
    xhands serve --display "$DISPLAY" --wait-for-display "${XHANDS_WAIT_FOR_DISPLAY:-60}" --host "$XHANDS_HOST" \
        --port "$XHANDS_PORT" --log-format json "${cdp_flags[@]}" ${XHANDS_ARGS:-} &
    pids+=($!)
fi

# Xvfb and xhands are the container: when either ends, everything ends.
essential=()
has xvfb && essential+=("${pids[0]}")
has xhands && essential+=("${pids[-1]}")
[ ${#essential[@]} -eq 0 ] && essential=("${pids[@]}")
wait -n "${essential[@]}"
status=$?
say "a process exited with status $status; stopping"
stop_all
exit "$status"
