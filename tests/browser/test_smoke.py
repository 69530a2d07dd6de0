"""The unpacked extension loads in Debian's Chromium, with its service worker running."""

from __future__ import annotations


def test_extension_loads(browser, extension_id):
    assert len(extension_id) == 32
