"""A browser's own knowledge (navigation, tabs, HTML, page context) through Chromium's DevTools Protocol, and
starting a Chromium that fills a computer's screen. Input to the browser stays X11's."""
