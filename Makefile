.PHONY: setup serve test

setup:
	scripts/setup.sh

serve: setup
	.venv/bin/xhands serve $(ARGS)

# The tests also verify the systemd units, with systemd-analyze.
test: export XHANDS_EXTRA_DEBS += systemd
test: setup
	.venv/bin/python -m pytest $(ARGS)
