.PHONY: setup serve test

setup:
	scripts/setup.sh

serve: setup
	.venv/bin/xhands serve $(ARGS)

test: setup
	.venv/bin/python -m pytest $(ARGS)
