"""Screenshots kept in memory for a while, so a dialect can answer an http URL to an image instead of the image.

Bounded both ways: the newest MAX_IMAGES images, and no more than MAX_BYTES in all; the oldest go first, and a
URL of an evicted image answers 404.
"""

import secrets
from collections import OrderedDict

from ..actions import Image

MAX_IMAGES = 32
MAX_BYTES = 64 * 1024 * 1024


class ImageStore:
    def __init__(self, max_images: int = MAX_IMAGES, max_bytes: int = MAX_BYTES):
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._images: OrderedDict[str, Image] = OrderedDict()
        self._bytes = 0

    def add(self, image: Image) -> str:
        """The new image's name: unguessable, since the URL is all a later fetch gives."""
        name = secrets.token_urlsafe(16)
        self._images[name] = image
        self._bytes += len(image.data)
        while self._images and (len(self._images) > self.max_images or self._bytes > self.max_bytes):
            _, evicted = self._images.popitem(last=False)
            self._bytes -= len(evicted.data)
        return name

    def get(self, name: str) -> Image | None:
        return self._images.get(name)
