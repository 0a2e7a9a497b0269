"""End to end in headless Chromium: draw, see the panels, change noise and strength, upload, click an example.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package; without
them the test is skipped, unless DAE_REQUIRE_BROWSER=1 (as in CI) makes that a
failure. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import base64
import io
import math
import os
import shutil
import sys

import numpy as np
import pytest
from conftest import ARTIFACTS, ROOT, digit_png
from paper import aligned_psnr, paper_photo
from PIL import Image

sys.path.insert(0, str(ROOT / "scripts"))
from chromium import CHROMIUM, FLAGS  # noqa: E402

from dae.samples import DEFAULT_STEPS  # noqa: E402

STEPS = DEFAULT_STEPS["generator"]  # the Generate part's default steps

TIMEOUT = 20_000  # ms: generous; an update shows within a tenth of a second here, the first page load takes longer


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


def open_page(browser, url: str, panels: int = 5, **options):
    """The page at `url`, once its opening example shows in `panels` panels (clean, noisy and three models)."""
    page = browser.new_page(**options)
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.wait_for_selector("#sketch canvas")
    page.wait_for_function(f"document.querySelectorAll('#panels img').length === {panels}")
    return page


def panel_sources(page) -> list[str]:
    return page.eval_on_selector_all("#panels img", "images => images.map(image => image.src)")


def wait_for_new_panels(page, before: list[str]) -> list[str]:
    page.wait_for_function(
        """before => {
            const now = [...document.querySelectorAll('#panels img')].map(image => image.src);
            return now.length >= 4 && (now.length !== before.length || now.some((src, i) => src !== before[i]));
        }""",
        arg=before,
    )
    return settled_panels(page, quiet_ms=1000)


def settled_panels(page, quiet_ms: int = 1000) -> list[str]:
    """The panel images once no update has arrived for `quiet_ms` (a stroke sends several)."""
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


def stroke(page, points, steps: int = 8):
    """A mouse stroke through `points`, given as fractions of the drawing canvas."""
    box = page.locator("#sketch canvas").bounding_box()

    def at(x, y):
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(*point), steps=steps)
    page.mouse.up()


def draw_a_seven(page):
    stroke(page, [(0.25, 0.22), (0.75, 0.22), (0.42, 0.82)])
    stroke(page, [(0.38, 0.52), (0.66, 0.52)])


def on_screen(page, selector: str) -> bool:
    """Every element matching `selector` lies inside the viewport, without scrolling."""
    size = page.viewport_size
    boxes = page.eval_on_selector_all(
        selector, "elements => elements.map(e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; })"
    )
    return bool(boxes) and all(top >= 0 and bottom <= size["height"] for top, bottom in boxes)


def example_on_view(page) -> str | None:
    return page.evaluate("document.querySelector('#examples button[aria-pressed=true]')?.dataset.index ?? null")


def headline(page) -> str:
    return page.locator("#headline").inner_text()


def test_draw_undo_clear_noise_strength_seed_upload_and_examples(browser, server_url, digits, tmp_path):
    page = open_page(browser, server_url, viewport={"width": 1280, "height": 900})
    # the page opens with an example already denoised, and everything that matters is on one screen
    opening = panel_sources(page)
    assert example_on_view(page) == "7" and "autoencoder" in headline(page)
    for selector in ("#sketch canvas", "#kind", "#strength", "#panels img"):
        assert on_screen(page, selector), f"{selector} is not on screen at 1280x900"
    page.screenshot(path=str(ARTIFACTS / "1-opening.png"))

    draw_a_seven(page)
    drawn = wait_for_new_panels(page, opening)
    assert example_on_view(page) is None  # the drawing replaced the example
    metrics = "\n".join(page.locator("#panels .metric").all_inner_texts())
    assert metrics.count("PSNR") == 4 and metrics.count("SSIM") == 4
    assert page.locator("#panels [data-best]").count() <= 1 and "PSNR" in page.locator("#panels .rule").inner_text()
    # the 28x28 images are shown large, enlarged by the browser with nearest-neighbour
    shown = page.eval_on_selector_all(
        "#panels img",
        """images => images.map(image => [image.naturalWidth, image.getBoundingClientRect().width,
                                           getComputedStyle(image).imageRendering])""",
    )
    assert all(natural == 28 and width >= 120 and rendering == "pixelated" for natural, width, rendering in shown)
    page.screenshot(path=str(ARTIFACTS / "2-drawn.png"))
    assert_no_error_toast(page)

    page.click("#sketch button[data-tool=undo]")  # back to the first stroke alone: a different digit
    undone = wait_for_new_panels(page, drawn)
    assert undone[0] != drawn[0]
    page.click("#sketch button[data-tool=eraser]")
    stroke(page, [(0.2, 0.22), (0.8, 0.22)])  # erase the top bar
    erased = wait_for_new_panels(page, undone)
    assert erased[0] != undone[0]
    page.click("#sketch button[data-tool=pen]")
    draw_a_seven(page)
    drawn = wait_for_new_panels(page, erased)

    page.locator("#kind").get_by_text("Salt and pepper", exact=True).click()
    after_kind = wait_for_new_panels(page, drawn)
    assert after_kind[0] == drawn[0] and after_kind[1] != drawn[1]  # same digit, new corruption
    assert "Salt and pepper" in page.locator("#kind-help").inner_text()

    slider = page.locator("#strength input[type=range]")
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    after_slider = wait_for_new_panels(page, after_kind)
    assert after_slider[1] != after_kind[1]
    assert float(page.locator("#strength input[type=number]").input_value()) > 0.8
    number = page.locator("#strength input[type=number]")  # a typed strength, then Enter
    number.fill("0.2")
    number.press("Enter")
    after_typed = wait_for_new_panels(page, after_slider)
    assert after_typed[1] != after_slider[1]
    slider.focus()  # the keyboard on the slider
    for _ in range(5):  # 0.20 -> 0.25: one step alone may add no visible salt or pepper to this digit
        page.keyboard.press("ArrowRight")
    after_key = wait_for_new_panels(page, after_typed)
    assert after_key[1] != after_typed[1] and float(number.input_value()) == 0.25

    seed = page.locator("#seed input")  # a new seed: new noise, same digit
    seed.fill("12345")
    seed.press("Enter")
    after_seed = wait_for_new_panels(page, after_key)
    assert after_seed[0] == after_key[0] and after_seed[1] != after_key[1]
    page.click("#new-noise")
    after_fresh = wait_for_new_panels(page, after_seed)
    assert after_fresh[0] == after_seed[0] and after_fresh[1] != after_seed[1]
    assert seed.input_value() != "12345"
    page.screenshot(path=str(ARTIFACTS / "3-controls.png"))
    assert_no_error_toast(page)

    page.get_by_role("tab", name="Upload a photo").click()
    uploaded = digit_png(tmp_path, digits[10], name="my-upload.png")
    page.set_input_files("#upload input[type=file]", uploaded)
    after_upload = wait_for_new_panels(page, after_fresh)
    assert "my-upload" in page.locator("#upload").inner_text()
    assert after_upload[0] != after_fresh[0]
    page.screenshot(path=str(ARTIFACTS / "4-uploaded.png"))
    page.locator("#upload button[aria-label='Clear']").first.click()  # clearing the upload empties the panels
    page.wait_for_function("document.querySelectorAll('#panels img').length === 0")
    assert "Draw a digit" in headline(page)
    # a phone photo of a digit on ruled paper, in a shadow: the clean panel is that digit
    photo = tmp_path / "my-photo.jpg"
    photo.write_bytes(paper_photo(digits[12, 0].numpy(), paper="ruled", ink="blue", light="shadow", fraction=0.3))
    page.set_input_files("#upload input[type=file]", str(photo))
    after_photo = wait_for_new_panels(page, [""] * 4)
    clean = np.asarray(Image.open(io.BytesIO(base64.b64decode(after_photo[0].split(",", 1)[1])))) / 255
    assert aligned_psnr(clean, digits[12, 0].numpy()) > 14
    page.screenshot(path=str(ARTIFACTS / "5-photo.png"))
    assert_no_error_toast(page)

    page.get_by_role("tab", name="Draw").click()
    assert page.locator("#sketch .empty, #sketch.empty").count() == 1  # the upload cleared the canvas
    draw_a_seven(page)
    drawn = wait_for_new_panels(page, [""] * 4)
    page.locator("#examples button[data-index='3']").click()
    after_example = wait_for_new_panels(page, drawn)
    assert after_example[0] != drawn[0] and example_on_view(page) == "3"
    assert page.locator("#sketch .empty, #sketch.empty").count() == 1  # no stale drawing beside the example
    page.screenshot(path=str(ARTIFACTS / "6-example.png"))
    assert_no_error_toast(page)


def test_a_link_opens_the_page_in_its_state_and_copy_link_makes_one(browser, server_url):
    page = open_page(browser, server_url + "/?kind=masking&strength=0.3&seed=5&example=2")
    assert page.locator("#kind input[value=masking]").is_checked()
    assert float(page.locator("#strength input[type=number]").input_value()) == 0.3
    assert page.locator("#seed input").input_value() == "5"
    assert example_on_view(page) == "2"
    page.locator("#kind").get_by_text("Block occlusion", exact=True).click()
    page.wait_for_timeout(500)
    page.click("#copy-link")
    page.wait_for_function("window.location.search.includes('kind=block')")
    query = page.evaluate("Object.fromEntries(new URLSearchParams(window.location.search))")
    assert query == {"kind": "block", "strength": "0.3", "seed": "5", "example": "2"}
    shown = panel_sources(page)
    again = open_page(browser, page.url)  # the copied link shows the same panels
    assert panel_sources(again) == shown
    # hide the linear model: its panel goes, and the link carries the choice
    page.locator("#models").get_by_text("Linear", exact=True).click()
    page.wait_for_function("document.querySelectorAll('#panels img').length === 4")
    assert panel_names(page) == ["clean", "noisy", "conv", "unet"]
    page.click("#copy-link")
    page.wait_for_function("window.location.search.includes('models=conv,unet')")
    restored = open_page(browser, page.url, panels=4)
    assert panel_names(restored) == ["clean", "noisy", "conv", "unet"]
    assert models_ticked(restored) == ["conv", "unet"]
    assert panel_sources(restored) == panel_sources(page)
    bad = open_page(browser, server_url + "/?kind=blur&strength=2&example=4&models=conv,resnet")  # bad values
    bad.wait_for_selector('[data-testid="toast-body"]')  # a message for each, and the rest applies
    toasts = " ".join(bad.locator('[data-testid="toast-body"]').all_inner_texts())
    assert "kind='blur'" in toasts and "models='conv,resnet'" in toasts
    assert example_on_view(bad) == "4" and models_ticked(bad) == ["linear", "conv", "unet"]


def panel_names(page) -> list[str]:
    return page.eval_on_selector_all("#panels figure", "f => f.map(e => e.dataset.name)")


def models_ticked(page) -> list[str]:
    labels = page.eval_on_selector_all(
        "#models label", "l => l.map(e => [e.textContent.trim(), e.querySelector('input').checked])"
    )
    names = {"Linear": "linear", "Convolutional": "conv", "U-Net": "unet"}
    return [names[text] for text, checked in labels if checked]


def test_phone_layout_shows_canvas_and_results_together(browser, server_url):
    page = open_page(browser, server_url, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    for selector in ("#sketch canvas", "#panels img"):
        assert on_screen(page, selector), f"{selector} is not on screen at 390x844"
    assert page.eval_on_selector("#sketch canvas", "c => getComputedStyle(c).touchAction") == "none"
    before = panel_sources(page)
    draw_a_seven(page)
    wait_for_new_panels(page, before)
    assert page.evaluate("window.scrollY") == 0  # drawing did not scroll the page
    page.screenshot(path=str(ARTIFACTS / "7-phone.png"))
    page.screenshot(path=str(ARTIFACTS / "8-phone-full.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 391)
                 .slice(0, 5).map(e => (e.id || e.className || e.tagName).toString().slice(0, 60))"""
    )
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide): {wide}"
    assert_no_error_toast(page)


# An L drawn at known places on the canvas (fractions of its side), points on its path, and points far from it
L_STROKE = [(0.3, 0.2), (0.3, 0.8), (0.72, 0.8)]
ON_THE_L = [(0.3, 0.25), (0.3, 0.5), (0.3, 0.75), (0.45, 0.8), (0.68, 0.8)]
OFF_THE_L = [(0.7, 0.3), (0.55, 0.5), (0.5, 0.12), (0.12, 0.92), (0.85, 0.6), (0.3, 0.93), (0.87, 0.8)]


def canvas_pixels(page) -> np.ndarray:
    """The drawing canvas as the screen shows it: greyscale, one value per device pixel."""
    shot = page.locator("#sketch canvas").screenshot(animations="disabled")
    return np.asarray(Image.open(io.BytesIO(shot)).convert("L"))


def brightest_near(pixels: np.ndarray, x: float, y: float, radius: float = 0.012) -> int:
    """The brightest device pixel within `radius` (a share of the side) of the point (x, y)."""
    height, width = pixels.shape
    r = max(1, round(radius * width))
    row, col = round(y * (height - 1)), round(x * (width - 1))
    return int(pixels[max(0, row - r) : row + r + 1, max(0, col - r) : col + r + 1].max())


def assert_strokes_under_the_pointer(page, where: str) -> None:
    buffer = page.eval_on_selector(
        "#sketch canvas",
        "c => [c.width, c.height, c.getBoundingClientRect().width, c.getBoundingClientRect().height, devicePixelRatio]",
    )
    width, height, box_width, box_height, density = buffer
    pixels = canvas_pixels(page)
    ink = {point: brightest_near(pixels, *point) for point in ON_THE_L}
    background = {point: brightest_near(pixels, *point, radius=0.02) for point in OFF_THE_L}
    assert all(value > 200 for value in ink.values()), f"{where}: the stroke is not under the pointer: {ink}"
    assert all(value < 60 for value in background.values()), f"{where}: ink away from the stroke: {background}"
    # the backing store is square and matches the box times the density, so the picture is not stretched
    assert width == height == round(box_width * density) and abs(box_width - box_height) < 1, (where, buffer)


@pytest.mark.parametrize("density", [1, 1.25, 1.5, 2, 3])
@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_canvas_shows_each_stroke_under_the_pointer(browser, server_url, size, density):
    width, height = size
    page = open_page(browser, server_url, viewport={"width": width, "height": height}, device_scale_factor=density)
    where = f"{width}x{height} at density {density}"
    stroke(page, L_STROKE)
    assert_strokes_under_the_pointer(page, where)
    name = f"canvas-{'desktop' if width > 500 else 'phone'}-{density:g}x.png"
    page.locator("#sketch canvas").screenshot(path=str(ARTIFACTS / name))
    if density in (1, 2):  # the whole page too, to look at
        page.screenshot(path=str(ARTIFACTS / name.replace("canvas-", "page-")))
    # a window resize or a phone's rotation: the canvas follows, and a new drawing lands under the pointer again
    page.set_viewport_size({"width": height, "height": width})
    page.wait_for_timeout(300)
    page.click("#sketch button[data-tool=clear]")
    page.locator("#sketch canvas").scroll_into_view_if_needed()
    stroke(page, L_STROKE)
    assert_strokes_under_the_pointer(page, f"{where}, turned to {height}x{width}")
    assert_no_error_toast(page)
    page.close()


def test_the_api_page_is_reachable_from_the_footer(browser, server_url):
    page = open_page(browser, server_url)
    page.get_by_text("Use via API").click()
    page.wait_for_selector("text=/denoise")


def test_the_inside_view_shows_its_pictures_and_follows_the_digit(browser, server_url):
    page = open_page(browser, server_url, viewport={"width": 1280, "height": 900})
    readings = page.eval_on_selector_all("#panels .reads", "r => r.map(e => e.textContent)")
    assert len(readings) == 5 and all(text.startswith("reads ") for text in readings), readings
    page.get_by_text("Inside the models").click()
    page.wait_for_selector("#inside .inside-card img")
    cards = page.eval_on_selector_all("#inside .inside-card h4", "h => h.map(e => e.textContent)")
    assert len(cards) == 7 and "What the U-Net's skip connections carry" in cards and "What the code knows" in cards
    loaded = page.eval_on_selector_all("#inside img", "i => i.filter(x => x.complete && x.naturalWidth > 0).length")
    assert loaded >= 16
    assert "skips zeroed" in page.inner_text("#inside") and "Here they" in page.inner_text("#inside")
    # what the code knows: a map per code, the example on view (a 7) read as a 7 from its clean code
    maps = page.eval_on_selector_all("#code-maps .map-tile", "t => t.map(e => [e.dataset.model, e.dataset.readsClean])")
    assert [name for name, _ in maps] == ["pixels", "linear", "plain", "conv", "unet"], maps
    assert all(reads == "7" for _, reads in maps), maps
    # the walk from it to a second digit: four rows of eight readings, from 7 to 1
    page.locator("#between-pick label", has_text="1").first.click()
    page.wait_for_selector("#between .between-row")
    rows = page.eval_on_selector_all("#between .between-row", "r => r.map(e => [e.dataset.model, e.dataset.readings])")
    assert [name for name, _ in rows] == ["pixels", "linear", "conv", "unet"], rows
    assert all(len(readings.split()) == 8 and readings.split()[-1] == "1" for _, readings in rows), rows
    first = page.eval_on_selector("#inside img", "i => i.src")
    walk = page.eval_on_selector("#between img", "i => i.src")
    before = panel_sources(page)
    page.locator("#examples button[data-index='3']").click()
    wait_for_new_panels(page, before)
    page.wait_for_function("first => document.querySelector('#inside img').src !== first", arg=first)
    page.wait_for_function("walk => document.querySelector('#between img').src !== walk", arg=walk)  # it follows
    page.locator("#inside-section").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "9-inside.png"), full_page=True)
    assert_no_error_toast(page)


def test_a_short_training_moves_the_curve_and_adds_a_panel_all_on_view(browser, server_url):
    page = open_page(browser, server_url, viewport={"width": 1280, "height": 900})
    page.get_by_text("Train your own autoencoder").click()
    seconds = page.locator("#train-seconds input[type='number']")
    seconds.fill("3")
    seconds.press("Enter")
    page.locator("#train-start").click()
    page.wait_for_selector("#train-shown img")  # reconstructions while it trains
    page.wait_for_function("() => document.querySelector('#train-status').textContent.includes('epoch')")
    first = page.inner_text("#train-status")
    # the status (epoch, held-out PSNR) and the curve move while it trains
    page.wait_for_function("first => document.querySelector('#train-status').textContent !== first", arg=first)
    page.wait_for_function("() => document.querySelector('#train-status').textContent.includes('Done')", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('#panels img').length === 6")
    assert "Your model" in page.inner_text("#panels .panel-yours")
    # the curve has points: the plot's canvas or svg is drawn
    assert page.locator("#train-curve canvas, #train-curve svg").count() >= 1
    assert page.locator("#train-download a").count() >= 1
    page.locator("#train-section").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "10-train.png"), full_page=True)
    # all six panels stay in view after drawing
    page.evaluate("window.scrollTo(0, 0)")
    before = panel_sources(page)
    draw_a_seven(page)
    assert len(wait_for_new_panels(page, before)) == 6
    assert on_screen(page, "#panels figure"), "a panel is out of view at 1280x900"
    page.screenshot(path=str(ARTIFACTS / "11-six-panels.png"))
    # and on a phone: the canvas and all six panels together, after drawing
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo(0, 0)")
    page.click("#sketch button[data-tool=clear]")
    before = panel_sources(page)
    draw_a_seven(page)
    assert len(wait_for_new_panels(page, before)) == 6
    for selector in ("#sketch canvas", "#panels figure"):
        assert on_screen(page, selector), f"{selector} is out of view at 390x844 with six panels"
    page.screenshot(path=str(ARTIFACTS / "11-six-panels-phone.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone after training ({width}px wide)"
    assert_no_error_toast(page)


def test_generate_plays_the_chain_then_shows_sixteen_digits_and_scrubs_one(browser, server_url):
    for size, name in (({"width": 1280, "height": 900}, "11-generate.png"), ({"width": 390, "height": 844}, None)):
        page = open_page(browser, server_url, viewport=size)
        page.get_by_text("Generate: a denoiser that draws digits").click()
        page.wait_for_selector("#generate-samples")  # the section's contents are drawn when it opens
        # every frame of the chain that reaches the page (its caption names the step)
        page.evaluate(
            """() => {
                window.framesSeen = new Set();
                const box = document.querySelector('#generate-samples');
                new MutationObserver(() => {
                    const frame = box.querySelector('.generate-frame');
                    if (frame) window.framesSeen.add(frame.textContent);
                }).observe(box, {subtree: true, childList: true, characterData: true});
            }"""
        )
        page.locator("#generate-start").click()
        page.wait_for_function(
            """() => document.querySelectorAll('#generate-samples figure img').length === 16
                     && !document.querySelector('#generate-samples .generate-frame')""",
            timeout=60_000,
        )
        frames = page.evaluate("[...window.framesSeen]")
        assert len(frames) >= 3 and frames[0].startswith(f"Step 0 of {STEPS}"), frames  # from noise, step by step
        captions = page.eval_on_selector_all("#generate-samples figcaption", "c => c.map(e => e.textContent)")
        assert len(captions) == 16 and all("reads" in c or "no clear digit" in c for c in captions), captions
        assert "of 16" in page.inner_text("#generate-status")
        # the step slider walks sample 1's chain back towards the noise
        scrub = page.eval_on_selector("#generate-scrub img.big", "i => i.src")
        number = page.locator("#generate-step input[type=number]")
        number.fill("3")
        number.press("Enter")
        page.wait_for_function("src => document.querySelector('#generate-scrub img.big').src !== src", arg=scrub)
        assert f"step 3 of {STEPS}" in page.inner_text("#generate-scrub")
        page.locator("#generate-section").scroll_into_view_if_needed()
        if name:
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"the page scrolls sideways ({width}px wide)"
        # every caption and mark stays inside its sample's cell (on a phone they used to run into each other)
        spill = page.eval_on_selector_all(
            "#generate-samples figure",
            """figures => figures.flatMap(f => [...f.querySelectorAll('figcaption, .flip')].filter(e => {
                const [a, b] = [e.getBoundingClientRect(), f.getBoundingClientRect()];
                return a.left < b.left - 0.5 || a.right > b.right + 0.5 || e.scrollWidth > e.clientWidth + 1;
            }).map(e => e.textContent))""",
        )
        assert not spill, f"captions outside their cell at {size['width']}px: {spill}"
        alts = page.eval_on_selector_all("#generate-samples figure img", "images => images.map(i => i.alt)")
        assert all(alt.startswith("Sample ") and ("reads" in alt or "no clear digit" in alt) for alt in alts), alts
        page.wait_for_function("announcer.textContent.includes('digits in')")  # the end is announced
        assert_no_error_toast(page)
        page.close()


def field_said(page) -> dict:
    """What the field's figure says (its data- attributes): points, arrows, samples, sigma, energy, floor."""
    return page.evaluate("Object.assign({}, document.querySelector('#field .field-figure').dataset)")


def spray_stroke(page, points, steps: int = 12):
    """A mouse stroke on the field's canvas through `points`, fractions of its side."""
    box = page.locator("#field canvas").bounding_box()
    at = lambda x, y: (box["x"] + x * box["width"], box["y"] + y * box["height"])  # noqa: E731
    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(*at(x, y), steps=steps)
    page.mouse.up()


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)])
def test_points_drawn_on_the_field_train_and_the_arrows_and_samples_change(browser, server_url, size):
    width, height = size
    phone = width < 500  # a phone: a touch screen too
    page = open_page(browser, server_url + "?field=rings", viewport={"width": width, "height": height}, has_touch=phone)
    page.get_by_text("What a denoiser learns: the field in 2-D").click()
    assert page.locator("#field-set").get_by_label("Rings").is_checked()  # the link's set
    page.locator("#field canvas").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('#field .field-figure').dataset.points === '2000'")
    page.locator("#field button[data-tool=clear]").click()
    page.wait_for_function("document.querySelector('#field .field-figure').dataset.points === '0'")
    # two strokes with the mouse: a line and a ring of points
    spray_stroke(page, [(0.2, 0.3), (0.5, 0.3), (0.8, 0.35)])
    spray_stroke(
        page, [(0.5 + 0.2 * math.cos(t / 8 * math.pi), 0.65 + 0.15 * math.sin(t / 8 * math.pi)) for t in range(17)]
    )
    drawn = int(field_said(page)["points"])
    if phone:  # a finger's taps add points too
        box = page.locator("#field canvas").bounding_box()
        for k in range(5):
            page.touchscreen.tap(box["x"] + box["width"] * (0.3 + 0.1 * k), box["y"] + box["height"] * 0.8)
        page.wait_for_function(f"Number(document.querySelector('#field .field-figure').dataset.points) > {drawn}")
        drawn = int(field_said(page)["points"])
    assert drawn >= 50, drawn
    seconds = page.locator("#field-seconds input[type='number']")
    seconds.fill("2")
    seconds.press("Enter")
    page.locator("#field-start").click()
    page.wait_for_function("Number(document.querySelector('#field .field-figure').dataset.arrows) > 0", timeout=60_000)
    page.wait_for_function(
        "Number(document.querySelector('#field .field-figure').dataset.samples) === 2000", timeout=60_000
    )
    said = field_said(page)
    assert int(said["points"]) == drawn and float(said["energy"]) > 0 and float(said["floor"]) > 0
    assert "Done" in page.inner_text("#field-status")
    # σ moves in the browser alone: the arrows are redrawn at the new level at once
    slider = page.locator("#field .field-sigma")
    slider.focus()
    for _ in range(6):
        slider.press("ArrowRight")
    assert float(field_said(page)["sigma"]) > float(said["sigma"])
    page.locator("#field input[value=langevin]").check()
    assert int(field_said(page)["samples"]) == 2000  # Langevin's samples at the nearest level
    page.locator("#field").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"11-field-{width}.png"))
    width_now = page.evaluate("document.documentElement.scrollWidth")
    assert width_now <= width, f"the page is {width_now} px wide at {width}"
    assert_no_error_toast(page)


WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page as it is: 'rule: element' lines (none: [])."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options={**WCAG, "resultTypes": ["violations"]}).response["violations"]
    return [f"{rule['id']}: {node['target']}" for rule in found for node in rule["nodes"]]


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_axe_finds_no_wcag_violation_in_any_state(browser, server_url, size):
    page = open_page(browser, server_url, viewport={"width": size[0], "height": size[1]})
    found = {"opening": axe_violations(page)}
    before = panel_sources(page)
    draw_a_seven(page)
    wait_for_new_panels(page, before)
    found["after drawing"] = axe_violations(page)
    for part in ("Inside the models", "What a denoiser learns", "Generate: a denoiser", "Train your own autoencoder"):
        page.get_by_text(part).first.click()
    page.wait_for_selector("#inside img")
    page.locator("#between-pick label", has_text="3").first.click()  # the walk to a second digit, and its maps
    page.wait_for_selector("#between .between-row")
    found["every section open"] = axe_violations(page)
    page.locator("#generate-start").click()
    page.wait_for_function("document.querySelectorAll('#generate-samples figure img').length === 16", timeout=60_000)
    found["after a generation"] = axe_violations(page)
    seconds = page.locator("#train-seconds input[type='number']")
    seconds.fill("2")
    seconds.press("Enter")
    page.locator("#train-start").click()
    page.wait_for_function("document.querySelector('#train-status').textContent.includes('Done')", timeout=60_000)
    found["after a training"] = axe_violations(page)
    assert not any(found.values()), found
    page.close()


def focus_by_tab(page, selector: str, limit: int = 80, back: bool = False) -> None:
    """Press Tab (Shift+Tab with `back`) until the focus is on an element matching `selector`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def announced(page) -> tuple[int, str]:
    return page.evaluate("[Number(announcer.dataset.announced || 0), announcer.textContent]")


def test_the_page_by_keyboard_alone(browser, server_url):
    page = open_page(browser, server_url, viewport={"width": 1280, "height": 900})
    canvas = page.locator("#sketch canvas")
    how = page.locator("#" + canvas.get_attribute("aria-describedby")).text_content()
    assert canvas.get_attribute("role") and canvas.get_attribute("aria-label") and "without a pointer" in how.lower()
    count, _ = announced(page)
    focus_by_tab(page, "#examples button[data-index='4']")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none", "the focused example shows no focus ring"
    before = panel_sources(page)
    page.keyboard.press("Enter")
    wait_for_new_panels(page, before)
    assert example_on_view(page) == "4"
    page.wait_for_function("n => Number(announcer.dataset.announced || 0) > n", arg=count)  # the live region speaks
    count, text = announced(page)
    assert text == headline(page).strip()
    focus_by_tab(page, "#kind input[type=radio]")  # the checked radio of the noise kinds
    before = panel_sources(page)
    page.keyboard.press("ArrowRight")  # the next kind: masking
    wait_for_new_panels(page, before)
    assert page.is_checked("#kind input[value='masking']")
    focus_by_tab(page, "#strength input[type=range]")
    before = panel_sources(page)
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    wait_for_new_panels(page, before)
    assert page.input_value("#strength input[type=range]") != "0.5"
    page.wait_for_function("n => Number(announcer.dataset.announced || 0) > n", arg=count)
    focus_by_tab(page, "#examples button[data-index='2']", back=True)  # and back again with Shift+Tab
    alts = page.eval_on_selector_all("#panels img", "images => images.map(i => i.alt)")
    assert any(alt.startswith("Convolutional DAE's reconstruction, PSNR") and "reads" in alt for alt in alts), alts
    assert_no_error_toast(page)
    page.close()


def test_with_reduced_motion_the_chain_shows_only_its_last_frame(browser, server_url):
    page = open_page(browser, server_url, viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    page.get_by_text("Generate: a denoiser that draws digits").click()
    page.wait_for_selector("#generate-samples")
    page.evaluate(
        """() => {
            window.framesShown = 0;
            const box = document.querySelector('#generate-samples');
            new MutationObserver(() => {
                const grid = box.querySelector('.generate-grid');
                if (box.querySelector('.generate-frame') && grid && getComputedStyle(grid).visibility !== 'hidden')
                    window.framesShown += 1;
            }).observe(box, {subtree: true, childList: true});
        }"""
    )
    page.locator("#generate-start").click()
    page.wait_for_function(
        """() => document.querySelectorAll('#generate-samples figure img').length === 16
                 && !document.querySelector('#generate-samples .generate-frame')""",
        timeout=60_000,
    )
    assert page.evaluate("window.framesShown") == 0
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#generate-samples .generate-grid')).visibility")
        == "visible"
    )
    page.close()
