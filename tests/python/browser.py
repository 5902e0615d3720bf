"""Headless Chromium for the tests that render what seedval draws (the shmoo SVG, the HTML report)."""

import shutil


def chromium():
    """The Chromium executable on PATH, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None
