# syntax=docker/dockerfile:1
# A browser container: Xvfb, Chromium on it, and xhands as its sidecar daemon on port 10001.
#
#   docker build -t xhands-browser .
#   docker run -d -p 10001:10001 -e XHANDS_TOKEN=secret --shm-size=1g xhands-browser
#
# The install and start steps are the project's own scripts, which tests/test_container.py runs on
# a plain machine too (the same script with the same settings, the same start command), so this
# recipe cannot drift from what is tested when no container engine is at hand.
FROM python:3.11-slim-bookworm

WORKDIR /opt/xhands
COPY pyproject.toml README.md ./
COPY scripts/ scripts/
COPY daemon/ daemon/
COPY input/ input/
COPY bezier/ bezier/
COPY xhands/ xhands/

# The same set-up as `make serve`: Debian packages, then .venv with the project (no test extras).
RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/root/.cache/pip XHANDS_EXTRA_DEBS="chromium fonts-liberation fonts-noto-color-emoji tini" XHANDS_EXTRAS="" scripts/setup.sh

RUN useradd --create-home --uid 1000 --user-group --shell /usr/sbin/nologin browser \
    && install -d -m 1777 /tmp/.X11-unix
USER browser

ENV PATH=/opt/xhands/.venv/bin:$PATH \
    DISPLAY=:99 \
    XHANDS_SCREEN=1920x1080x24 \
    XHANDS_HOST=0.0.0.0 \
    XHANDS_PORT=10001
EXPOSE 10001

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD xhands health --url "http://127.0.0.1:${XHANDS_PORT}"

ENTRYPOINT ["tini", "--"]
CMD ["/opt/xhands/scripts/container-start.sh"]
