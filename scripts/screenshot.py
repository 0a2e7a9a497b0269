"""Make the README's screenshot: the app in headless Chromium, a 7 drawn with the mouse, Gaussian noise at 0.5.

    python scripts/screenshot.py                     # writes docs/screenshot.png (1280 wide, the top of the page)
    python scripts/screenshot.py --out /tmp/shot.png --phone

Starts the app on a free port, draws the digit stroke by stroke as a person
would, waits until the panels settle, and saves the part of the page above the
plot.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromium import CHROMIUM, FLAGS  # noqa: E402
from gradio_http import PYTHON, start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEVEN = [[(0.22, 0.25), (0.78, 0.25), (0.42, 0.85)], [(0.35, 0.55), (0.66, 0.55)]]  # strokes, as canvas fractions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"), help="where the PNG goes")
    parser.add_argument("--phone", action="store_true", help="a 390x844 phone screen instead of 1280x900")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = start_server([PYTHON, "app.py"], cwd=ROOT)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            size = {"width": 390, "height": 844} if args.phone else {"width": 1280, "height": 900}
            page = browser.new_page(viewport=size, device_scale_factor=2 if args.phone else 1)
            page.goto(server.url)
            page.wait_for_function("document.querySelectorAll('#panels img').length === 5")
            box = page.locator("#sketch canvas").bounding_box()
            for stroke in SEVEN:
                x, y = stroke[0]
                page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
                page.mouse.down()
                for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
                    for step in range(1, 13):
                        t = step / 12
                        page.mouse.move(
                            box["x"] + (x0 + t * (x1 - x0)) * box["width"],
                            box["y"] + (y0 + t * (y1 - y0)) * box["height"],
                        )
                page.mouse.up()
            time.sleep(1.5)  # the last stroke's update has landed
            if args.phone:
                page.screenshot(path=args.out)
            else:
                bottom = page.locator("#controls").bounding_box()
                page.screenshot(
                    path=args.out, clip={"x": 0, "y": 0, "width": 1280, "height": bottom["y"] + bottom["height"] + 12}
                )
            browser.close()
    finally:
        server.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
