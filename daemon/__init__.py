"""HTTP side of xhands: aiohttp routes, request models, the action queue, CLI and Xvfb launcher."""
