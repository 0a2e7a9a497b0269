"""The headless Chromium that the browser tests and benchmarks drive: Debian's, never a downloaded one.

browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("DAE_CHROMIUM", "/usr/bin/chromium")
# headless, and quiet: without the background-networking flags Chromium keeps calling hosts it cannot reach
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
