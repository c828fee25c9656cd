"""The typed client, as `xhands.client` (the same objects as `from xhands import Client`)."""

from .daemon.client import Action, ApiError, BatchResult, Health, Image, Position, Region, Size, Unreachable
from .daemon.client.transport import DEFAULT_URL, AsyncClient, Client

__all__ = ["Action", "ApiError", "AsyncClient", "BatchResult", "Client", "DEFAULT_URL", "Health", "Image", "Position",
           "Region", "Size", "Unreachable"]
