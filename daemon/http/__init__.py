"""What every route needs of aiohttp: request bodies as models, disconnects, ASGI."""
