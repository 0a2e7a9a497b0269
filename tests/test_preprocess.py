"""to_mnist makes user images look like MNIST digits; open_image decodes untrusted files safely."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dae.preprocess import BlankImageError, ImageInputError, open_image, to_mnist

CENTRE = 13.5  # the middle of a 28-pixel field, in pixel-index coordinates


def draw(size=(280, 280), offset=(0, 0), width=22, ink=0, paper=255, mode="L") -> Image.Image:
    """A hand-drawn-looking '7' with a crossbar, dark ink on light paper by default."""
    image = Image.new(mode, size, paper)
    pen = ImageDraw.Draw(image)
    sx, sy = size[0] / 280, size[1] / 280  # the strokes are laid out on a 280x280 grid, stretched to `size`

    def at(x, y):
        return (x + offset[0]) * sx, (y + offset[1]) * sy

    pen.line([at(70, 60), at(210, 60), at(120, 230)], fill=ink, width=width)
    pen.line([at(110, 145), at(190, 145)], fill=ink, width=width)
    return image


def centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    total = digit.sum()
    return (digit.sum(1) @ np.arange(28)) / total, (digit.sum(0) @ np.arange(28)) / total


def ink_box(digit: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(digit > 0)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("offset", [(0, 0), (-60, -50), (50, 40), (60, -55)])
@pytest.mark.parametrize("size", [(280, 280), (400, 240), (120, 500)])
def test_centre_of_mass_lands_in_the_middle_and_the_box_is_20px(offset, size):
    image = draw(size=size, offset=offset, width=max(3, int(22 * min(size) / 280)))
    digit = to_mnist(image)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() >= 0 and digit.max() <= 1
    cy, cx = centre_of_mass(digit)
    assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5
    assert max(ink_box(digit)) == 20


def test_dark_on_light_is_inverted_to_white_on_black():
    digit = to_mnist(draw())
    assert digit.max() == pytest.approx(1.0)
    border = np.concatenate([digit[0], digit[-1], digit[:, 0], digit[:, -1]])
    assert np.all(border == 0) and digit.mean() < 0.35


def test_light_on_dark_is_kept_and_matches_the_inverted_drawing():
    dark_on_light = to_mnist(draw())
    light_on_dark = to_mnist(draw(ink=255, paper=0))
    np.testing.assert_allclose(light_on_dark, dark_on_light, atol=1e-5)


def test_ink_on_a_transparent_layer_is_read_from_alpha():
    # black ink on a transparent layer: luminance alone would see no ink at all
    alpha = np.asarray(draw(ink=255, paper=0))
    layer = np.zeros((280, 280, 4), dtype=np.uint8)
    layer[..., 3] = alpha
    np.testing.assert_allclose(to_mnist(Image.fromarray(layer)), to_mnist(draw()), atol=1e-5)
    np.testing.assert_allclose(to_mnist(layer), to_mnist(draw()), atol=1e-5)  # numpy arrays too


def test_gradio_sketchpad_value():
    alpha = np.asarray(draw(ink=255, paper=0))
    layer = np.zeros((280, 280, 4), dtype=np.uint8)
    layer[..., 3] = alpha
    composite = np.dstack([255 - alpha] * 3 + [np.full_like(alpha, 255)])
    value = {"background": np.full((280, 280, 4), 255, np.uint8), "layers": [layer], "composite": composite}
    np.testing.assert_allclose(to_mnist(value), to_mnist(draw()), atol=1e-5)


@pytest.mark.parametrize(
    "blank",
    [
        None,
        {"background": None, "layers": [], "composite": None},
        {
            "background": None,
            "layers": [np.zeros((280, 280, 4), np.uint8)],
            "composite": np.full((280, 280, 4), 255, np.uint8),
        },
        Image.new("L", (280, 280), 255),
        Image.new("L", (280, 280), 0),
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
        Image.new("L", (1, 1), 128),
    ],
    ids=["none", "empty-sketchpad", "cleared-sketchpad", "all-white", "all-black", "transparent", "1x1"],
)
def test_blank_inputs_are_recognised(blank):
    with pytest.raises(BlankImageError):
        to_mnist(blank)


def test_16_bit_greyscale():
    wide = np.asarray(draw(ink=255, paper=0)).astype(np.uint16) * 257
    image = Image.fromarray(wide)
    assert image.mode.startswith("I;16")
    np.testing.assert_allclose(to_mnist(image), to_mnist(draw()), atol=1e-3)
    np.testing.assert_allclose(to_mnist(wide), to_mnist(draw()), atol=1e-3)


def test_palette_and_cmyk_and_float_images():
    reference = to_mnist(draw())
    np.testing.assert_allclose(to_mnist(draw().convert("P")), reference, atol=1e-3)
    np.testing.assert_allclose(to_mnist(draw().convert("CMYK")), reference, atol=1e-2)
    float_image = Image.fromarray(np.asarray(draw(), dtype=np.float32) / 255.0)
    np.testing.assert_allclose(to_mnist(float_image), reference, atol=1e-3)


def test_colour_photo_of_paper_with_grey_background():
    rgb = np.asarray(draw(ink=40, paper=200).convert("RGB")).copy()
    rgb[..., 2] = np.clip(rgb[..., 2].astype(int) + 20, 0, 255)  # a bluish tint
    digit = to_mnist(rgb)
    assert digit.max() == pytest.approx(1.0) and digit[0].max() == 0


def test_extreme_aspect_ratios_still_give_a_field():
    line = Image.new("L", (2000, 10), 255)
    ImageDraw.Draw(line).line([(100, 5), (1900, 5)], fill=0, width=4)
    digit = to_mnist(line)
    assert digit.shape == (28, 28) and max(ink_box(digit)) == 20


def png_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kwargs.pop("format", "PNG"), **kwargs)
    return buffer.getvalue()


def test_open_image_round_trips_a_png(tmp_path):
    path = tmp_path / "digit.png"
    path.write_bytes(png_bytes(draw()))
    np.testing.assert_allclose(to_mnist(open_image(path)), to_mnist(draw()), atol=1e-6)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"this is not an image at all, just some text\n" * 10, "not an image"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>', "SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'></svg>", "SVG"),
    ],
    ids=["empty", "text", "svg-xml", "svg"],
)
def test_unreadable_files_get_a_message_that_says_what_to_do(data, message):
    with pytest.raises(ImageInputError, match=message) as error:
        open_image(data)
    assert "Upload" in str(error.value) or "Export" in str(error.value)


def test_truncated_png_is_refused():
    data = png_bytes(draw())
    with pytest.raises(ImageInputError, match="damaged or incomplete"):
        open_image(data[: len(data) // 2])
