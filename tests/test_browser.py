"""End to end in headless Chromium: draw, see the panels, change noise and strength, upload, click an example.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package; without
them the test is skipped, unless DAE_REQUIRE_BROWSER=1 (as in CI) makes that a
failure. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import ARTIFACTS, digit_png

CHROMIUM = os.environ.get("DAE_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 20_000  # ms: WebGL runs in software here, an update takes 1-4 s


def browser_or_skip():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed"
    if reason is None and not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason:
        if os.environ.get("DAE_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return sync_playwright


@pytest.fixture(scope="module")
def browser(server_url):
    sync_playwright = browser_or_skip()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def open_page(browser, url: str, **options):
    page = browser.new_page(**options)
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.wait_for_selector("#sketch canvas")
    return page


def panel_sources(page) -> list[str]:
    return page.eval_on_selector_all("#panels img", "images => images.map(image => image.src)")


def wait_for_new_panels(page, before: list[str]) -> list[str]:
    page.wait_for_function(
        """before => {
            const now = [...document.querySelectorAll('#panels img')].map(image => image.src);
            return now.length === 4 && now.some((src, i) => src !== before[i]);
        }""",
        arg=before,
    )
    page.wait_for_timeout(300)  # let the other outputs of the same update land
    return panel_sources(page)


def settled_panels(page, quiet_ms: int = 1500) -> list[str]:
    """The panel images once no update has arrived for `quiet_ms` (each stroke sends one)."""
    sources = panel_sources(page)
    for _ in range(20):
        page.wait_for_timeout(quiet_ms)
        latest = panel_sources(page)
        if latest == sources:
            return latest
        sources = latest
    raise AssertionError("the panels kept changing")


def assert_no_error_toast(page):
    toasts = page.locator('[data-testid="toast-body"]')
    assert toasts.count() == 0, toasts.first.inner_text()


def draw_a_seven(page):
    box = page.locator("#sketch canvas").first.bounding_box()
    side = min(box["width"], box["height"])
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2

    def at(x, y):  # stroke coordinates as fractions of the drawing square
        return left + x * side, top + y * side

    for stroke in ([(0.25, 0.22), (0.75, 0.22), (0.42, 0.82)], [(0.38, 0.52), (0.66, 0.52)]):
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(*point), steps=8)
        page.mouse.up()


def test_draw_change_noise_and_strength_upload_and_pick_an_example(browser, server_url, digits, tmp_path):
    page = open_page(browser, server_url, viewport={"width": 1280, "height": 1000})
    draw_a_seven(page)
    wait_for_new_panels(page, [""] * 4)
    sources = settled_panels(page)  # two strokes: two updates
    assert all(src for src in sources)
    page.wait_for_function("document.querySelectorAll('#panels .metric strong').length >= 6")
    metrics = "\n".join(page.locator("#panels .metric").all_inner_texts())
    assert metrics.count("PSNR") == 3 and metrics.count("SSIM") == 3 and "better" in metrics
    assert "autoencoder" in page.locator("#headline").inner_text()
    # the 28x28 images are shown large, enlarged by the browser with nearest-neighbour
    shown = page.eval_on_selector_all(
        "#panels img",
        """images => images.map(image => [image.naturalWidth, image.getBoundingClientRect().width,
                                           getComputedStyle(image).imageRendering])""",
    )
    assert all(natural == 28 and width >= 150 and rendering == "pixelated" for natural, width, rendering in shown)
    page.screenshot(path=str(ARTIFACTS / "1-drawn.png"), full_page=True)
    assert_no_error_toast(page)

    page.locator("#kind").get_by_text("Salt and pepper", exact=True).click()
    after_kind = wait_for_new_panels(page, sources)
    assert after_kind[0] == sources[0]  # same digit
    assert after_kind[1] != sources[1]  # new corruption
    assert_no_error_toast(page)

    slider = page.locator("#strength input[type=range]")
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    after_strength = wait_for_new_panels(page, after_kind)
    assert after_strength[1] != after_kind[1]
    assert float(page.locator("#strength input[type=number]").input_value()) > 0.8
    page.screenshot(path=str(ARTIFACTS / "2-salt-and-pepper-strong.png"), full_page=True)
    assert_no_error_toast(page)

    page.get_by_role("tab", name="Upload").click()
    uploaded = digit_png(tmp_path, digits[10], name="my-upload.png")
    page.set_input_files("#upload input[type=file]", uploaded)
    after_upload = wait_for_new_panels(page, after_strength)
    assert "my-upload" in page.locator("#upload").inner_text()
    assert after_upload[0] != after_strength[0]  # a different digit
    page.screenshot(path=str(ARTIFACTS / "3-uploaded.png"), full_page=True)
    assert_no_error_toast(page)

    page.locator("#examples img").nth(3).click()
    after_example = wait_for_new_panels(page, after_upload)
    assert after_example[0] != after_upload[0]
    # the upload box no longer shows a file that is not the digit on view
    page.wait_for_function("!document.querySelector('#upload').innerText.includes('my-upload')")
    page.screenshot(path=str(ARTIFACTS / "4-example.png"), full_page=True)
    assert_no_error_toast(page)


def test_phone_width_layout(browser, server_url):
    page = open_page(browser, server_url, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page.locator("#examples img").first.click()
    wait_for_new_panels(page, [""] * 4)
    page.screenshot(path=str(ARTIFACTS / "5-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 391)
                 .slice(0, 5).map(e => (e.id || e.className || e.tagName).toString().slice(0, 60))"""
    )
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide): {wide}"
    assert_no_error_toast(page)
