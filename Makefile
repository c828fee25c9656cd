.PHONY: setup serve test

setup:
	scripts/setup.sh

serve: setup
	.venv/bin/xhands serve $(ARGS)

# The tests also verify the systemd units, with systemd-analyze.
test: export XHANDS_EXTRA_DEBS += systemd
# The browser suite (tests/chromium) needs a real Chromium, and fonts to render CJK and emoji.
test: export XHANDS_OPTIONAL_DEBS ?= chromium fonts-wqy-microhei fonts-noto-color-emoji
test: setup
	.venv/bin/python -m pytest $(ARGS)
