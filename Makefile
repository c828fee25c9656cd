.PHONY: setup serve test bench

setup:
	scripts/setup.sh

# Serving needs only the runtime (no test extras), and a private display: a first session must not click on the
# user's own desktop, so DISPLAY is dropped here; `make serve ARGS="--display :0"` drives that display on purpose.
serve: export XHANDS_EXTRAS =
serve: setup
	env -u DISPLAY .venv/bin/xhands serve $(ARGS)

# The tests also verify the systemd units (systemd-analyze), check the event recorder against xdotool and resize Xvnc.
test: export XHANDS_EXTRA_DEBS += systemd xdotool tigervnc-standalone-server
# The browser suite (tests/chromium) needs a real Chromium, and fonts to render CJK and emoji.
test: export XHANDS_OPTIONAL_DEBS ?= chromium fonts-wqy-microhei fonts-noto-color-emoji
# Kernel's TypeScript SDK for tests/test_kernel_sdk_typescript.py, with the machine's Node.js (the test says if it is missing).
test: setup
	if command -v npm >/dev/null; then npm ci --prefix tests/typescript --no-audit --no-fund --loglevel=error; fi
	.venv/bin/python -m pytest $(ARGS)

# Side-by-side benchmarks (not part of `make test`): Chromium, xdotool, ffmpeg and scrot for the baselines.
# pyautogui goes in without its dependencies: its python3-xlib would overwrite python-xlib's files.
bench:
	XHANDS_EXTRA_DEBS="chromium xdotool ffmpeg scrot" XHANDS_EXTRAS=bench scripts/setup.sh
	.venv/bin/pip install -q --no-deps "pyautogui==0.9.54"
	.venv/bin/python -m benchmarks $(ARGS)
