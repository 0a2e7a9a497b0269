"""Turn any user image into a 28x28 digit the way MNIST digits were made.

    digit = to_mnist(Image.open("my_digit.jpg"))   # float32 [28, 28] in [0, 1], white ink on black
    digit = to_mnist(sketchpad_value)              # the dict a Gradio Sketchpad gives
    image = open_image("upload.png")               # safe decoding of an untrusted file
    image = open_data_url("data:image/png;base64,...")   # the page's drawing canvas sends these

MNIST's recipe: crop to the ink, scale the longer side to 20 px with
anti-aliasing, then place the digit in a 28x28 field with its centre of mass
at the centre. Ink comes from the alpha channel when the image has a varying
one (a drawing on a transparent layer), otherwise from luminance, inverted
when the background is light.

A photo of paper (light, but uneven or noisy: see `looks_like_paper_photo`)
goes through `paper_ink` first: the paper's light is estimated and divided
out, the strokes are told from the paper, its printed lines and specks, and
thin pen strokes are widened to MNIST's pen (about 0.11 of the digit's size).
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

SIZE = 28  # the field
BOX = 20  # the longer side of the digit inside it
MAX_PIXELS = 50_000_000  # refuse larger images before decoding them (a 6000x6000 photo is 36 MP)
WORKING_SIDE = 1024  # large images are shrunk to about this before any float work
INK_THRESHOLD = 0.1  # share of full contrast that counts as ink when cropping
MIN_CONTRAST = 0.05  # less contrast than this between ink and background is a blank image
MAX_DATA_URL = 400_000  # characters; the canvas sends a 112x112 PNG, a few kilobytes at most
DATA_URL_PREFIX = "data:image/png;base64,"


class ImageInputError(ValueError):
    """An input that cannot be made into a digit; the message says what to do instead."""


class BlankImageError(ImageInputError):
    """The image has no ink (an empty canvas, an all-black or all-white picture)."""


def open_image(source: str | os.PathLike | bytes) -> Image.Image:
    """Decode an untrusted image file (path or bytes) safely, returning its first frame.

    Refuses empty files, non-images, SVGs and decompression bombs (checked from
    the header, before any pixel is decoded), and shrinks very large images
    while decoding. Raises ImageInputError with a message for the user.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data:
        raise ImageInputError("The file is empty. Upload a PNG or JPEG image of a digit.")
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        raise ImageInputError(
            "SVG is a vector format and cannot be read here. Export the drawing as PNG and upload that."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageInputError(
            f"The image is far too large (its header claims more than {Image.MAX_IMAGE_PIXELS / 1e6:.0f} megapixels). "
            "Upload a smaller image: a digit needs only a few hundred pixels a side."
        ) from None
    except UnidentifiedImageError:
        raise ImageInputError(
            "This file is not an image that can be read. Upload a PNG, JPEG, GIF, BMP, TIFF or WebP image of a digit."
        ) from None
    except Exception as error:  # noqa: BLE001 - Pillow raises many kinds on garbage headers
        raise ImageInputError(f"This file could not be read as an image ({error}). Upload a PNG or JPEG.") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageInputError(
            f"The image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); the limit is "
            f"{MAX_PIXELS / 1e6:.0f}. Upload a smaller image: a digit needs only a few hundred pixels a side."
        )
    try:
        if getattr(image, "n_frames", 1) > 1:
            image = ImageSequence.Iterator(image)[0]  # animated: the first frame
        if image.format == "JPEG":
            image.draft(image.mode, (WORKING_SIDE, WORKING_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
        image.load()
        image = ImageOps.exif_transpose(image)
    except Exception as error:  # noqa: BLE001 - truncated or corrupt data surfaces here
        raise ImageInputError(
            f"The image data is damaged or incomplete ({error}). Save the image again and re-upload it."
        ) from None
    if max(image.size) > WORKING_SIDE:
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
    return image


def open_data_url(value) -> Image.Image:
    """Decode the drawing canvas's value, a PNG data URL, as untrusted input.

    "" or None is an empty canvas (BlankImageError). Anything else that is not
    a small base64 PNG data URL gets an ImageInputError saying what was expected.
    """
    if value is None or value == "":
        raise BlankImageError("Draw a digit, upload an image or pick an example.")
    if not isinstance(value, str):
        raise ImageInputError(f"The drawing should be a PNG data URL (a string), got {type(value).__name__}.")
    if len(value) > MAX_DATA_URL:
        raise ImageInputError(
            f"The drawing is too large ({len(value):,} characters; the limit is {MAX_DATA_URL:,}). "
            "Clear the canvas and draw again, or upload the image as a file."
        )
    if not value.startswith(DATA_URL_PREFIX):
        raise ImageInputError(f"The drawing should be a PNG data URL starting with {DATA_URL_PREFIX!r}.")
    try:
        data = base64.b64decode(value[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ImageInputError("The drawing's data is not valid base64. Clear the canvas and draw again.") from None
    return open_image(data)  # the same checks as an upload: not an image, damaged, far too large


def to_mnist(image) -> np.ndarray:
    """Make a 28x28 float32 MNIST-style digit (white ink on black, in [0, 1]) from a user image.

    image: a PIL image, a numpy array (HxW, HxWx3 or HxWx4; uint8, uint16 or
    float), or a Gradio Sketchpad value (dict with "layers" and "composite").
    Raises BlankImageError when there is no ink, ImageInputError for
    anything else that cannot be used.
    """
    ink = ink_map(image)
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    digit = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    height, width = digit.shape
    scale = BOX / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = Image.fromarray(digit.astype(np.float32)).resize(new_size, Image.Resampling.LANCZOS)
    small = np.clip(np.asarray(small, dtype=np.float32), 0, 1)
    return _centre_by_mass(small / small.max())  # full contrast, even when thin strokes were shrunk a lot


def ink_map(image) -> np.ndarray:
    """The ink of `image` as a float array in [0, 1]: 0 background, 1 full ink, contrast stretched."""
    if isinstance(image, dict):
        image = _from_sketchpad(image)
    if image is None:
        raise BlankImageError("Draw a digit, upload an image or pick an example.")
    if isinstance(image, Image.Image):
        array = _pil_to_array(image)
    else:
        array = _normalise_array(np.asarray(image))
    if array.ndim == 3 and array.shape[2] in (2, 4):
        alpha = array[..., -1]
        if alpha.max() - alpha.min() > MIN_CONTRAST:
            return _stretch(alpha, background=0.0)
        if alpha.max() <= MIN_CONTRAST:
            raise BlankImageError("The image is fully transparent: there is no digit in it. Draw or upload one.")
        array = array[..., :-1]
    grey = _grey(array)
    background = float(np.median(_border(grey)))
    if background > 0.5:
        work = _working(grey)
        light = _paper_light(work)  # found once, used by both steps below
        if looks_like_paper_photo(work, light):
            return paper_ink(work, light)
    ink = 1.0 - grey if background > 0.5 else grey  # dark ink on a light background gets inverted
    return _stretch(ink, background=min(background, 1 - background))


PHOTO_SIDE = 320  # the short side photos are analysed at: a digit of 15% of it is still 48 px tall
MNIST_PEN = 0.11  # MNIST's stroke width as a share of the digit's box (median over test digits, measured)


def _working(grey: np.ndarray) -> np.ndarray:
    scale = PHOTO_SIDE / min(grey.shape)
    if scale >= 1:
        return grey.astype(np.float32)
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    return np.asarray(Image.fromarray(grey.astype(np.float32)).resize(size, Image.Resampling.BOX), np.float32)


def _paper_light(grey: np.ndarray) -> np.ndarray:
    """The light on the paper without the ink: a closing wider than any stroke, then smoothed."""
    from scipy import ndimage

    reach = max(3, min(grey.shape) // 6)  # wider than a thick marker's stroke on a digit filling the frame
    closed = ndimage.minimum_filter(ndimage.maximum_filter(grey, reach), reach)
    return np.maximum(ndimage.gaussian_filter(closed, reach / 2), 1e-3)


def looks_like_paper_photo(work: np.ndarray, light: np.ndarray) -> bool:
    """A light picture (`work`, its `_paper_light`) whose paper is unevenly lit or grainy, as a photo is.

    A clean drawing is neither.
    """
    if min(work.shape) < 16:
        return False
    paper = work > 0.8 * light  # not ink
    spread = float(np.percentile(light, 98) - np.percentile(light, 2))
    residual = (work - light)[paper]  # the grain, robustly: a drawing's anti-aliased edges are a few outliers
    grain = 1.4826 * float(np.median(np.abs(residual - np.median(residual)))) if residual.size else 0.0
    return spread > 0.04 or grain > 0.01


def paper_ink(work: np.ndarray, light: np.ndarray) -> np.ndarray:
    """The ink of a photo of dark strokes on light paper, in [0, 1], without the paper's light, lines and specks.

    work: the photo's grey at the analysis size (short side PHOTO_SIDE, see `_working`); light: its
    `_paper_light`. Strokes thinner than MNIST's pen are widened.
    """
    from scipy import ndimage
    from skimage.filters import threshold_otsu
    from skimage.morphology import skeletonize

    dark = np.clip(1 - work / light, 0, 1)  # 0 on paper, towards 1 on ink, whatever the light
    candidates = dark[dark > 0.06]
    if candidates.size < 20:
        raise BlankImageError("No digit found on the paper. Write it darker or larger, and upload the photo again.")
    level = max(float(threshold_otsu(candidates)), 0.25)  # ink against the faint printed lines, grain and shade
    # the digit is found from its ink cores alone: grown by their faint edges, printed lines would join it up
    mask = _digit_parts(dark > level)
    rows, cols = np.nonzero(mask)
    side = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 if rows.size else 0
    if side < 0.05 * min(mask.shape):  # a speck or nothing: a digit is a good part of the picture
        raise BlankImageError("No digit found on the paper. Write it darker or larger, and upload the photo again.")
    top = float(np.percentile(dark[mask], 90))
    ink = np.clip((dark - 0.5 * level) / max(top - 0.5 * level, 1e-3), 0, 1)
    ink *= ndimage.binary_dilation(mask, iterations=2)  # the strokes' soft edges, and nothing further out
    # a pen is thinner than MNIST's: widen the strokes to its share of the digit's size
    skeleton = skeletonize(mask)
    width = 2 * float(np.median(ndimage.distance_transform_edt(mask)[skeleton])) if skeleton.any() else side
    grow = (MNIST_PEN * side - width) / 2
    if grow >= 1:
        ink = ndimage.grey_dilation(ink, footprint=_disc(round(grow)))
    return ink.astype(np.float32)


def _digit_parts(mask: np.ndarray) -> np.ndarray:
    """The connected pieces of ink that make the digit: no specks, no printed lines crossing the frame."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count == 0:
        return mask
    sizes = ndimage.sum_labels(mask, labels, range(1, count + 1))
    height, width = mask.shape
    keep = np.zeros(count + 1, bool)
    for i, box in enumerate(ndimage.find_objects(labels)):
        tall, wide = box[0].stop - box[0].start, box[1].stop - box[1].start
        line = (wide > 0.8 * width and tall < 0.1 * height) or (tall > 0.8 * height and wide < 0.1 * width)
        speck = sizes[i] < 0.02 * sizes.max() or sizes[i] < 2e-4 * mask.size
        keep[i + 1] = not speck and not line
    return keep[labels]


def _disc(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return x * x + y * y <= radius * radius + radius


def _from_sketchpad(value: dict):
    layers = [layer for layer in (value.get("layers") or []) if layer is not None]
    if layers:
        stack = np.stack([_normalise_array(np.asarray(layer)) for layer in layers])
        if stack.ndim == 4 and stack.shape[-1] == 4:
            coverage = stack[..., 3].max(axis=0)  # ink is whatever any layer covers, in any colour
            if coverage.max() > MIN_CONTRAST:
                return coverage
    return value.get("composite")


def _pil_to_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image, dtype=np.float32) / 65535.0
    if image.mode in ("I", "F"):
        return _normalise_array(np.asarray(image, dtype=np.float64))
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in ("PA", "LA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif image.mode not in ("L", "RGB", "RGBA"):  # 1, CMYK, YCbCr, LAB, HSV, ...
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.float32) / 255.0


def _normalise_array(array: np.ndarray) -> np.ndarray:
    if array.size == 0:
        raise ImageInputError("The image has no pixels. Upload an image of a digit.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise ImageInputError(f"Expected a greyscale, RGB or RGBA image, got an array shaped {array.shape}.")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if array.dtype == bool:
        return array.astype(np.float32)
    array = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(array.min()), float(array.max())
    if low >= 0 and high <= 1:
        return array.astype(np.float32)
    if low >= 0 and high <= 255:
        return (array / 255.0).astype(np.float32)
    if high == low:
        return np.zeros_like(array, dtype=np.float32)
    return ((array - low) / (high - low)).astype(np.float32)  # any other range: stretch to [0, 1]


def _grey(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        return array.astype(np.float32)
    return (array[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).astype(np.float32)


def _border(grey: np.ndarray) -> np.ndarray:
    return np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])


def _stretch(ink: np.ndarray, *, background: float) -> np.ndarray:
    top = float(ink.max())
    if top - background < MIN_CONTRAST:
        raise BlankImageError("No digit found: the image is a single flat colour. Draw a digit or upload one.")
    return np.clip((ink - background) / (top - background), 0, 1).astype(np.float32)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    height, width = digit.shape
    mass = digit.sum()
    cy = (digit.sum(axis=1) @ np.arange(height)) / mass
    cx = (digit.sum(axis=0) @ np.arange(width)) / mass
    centre = (SIZE - 1) / 2
    top, left = int(round(centre - cy)), int(round(centre - cx))
    field = np.zeros((3 * SIZE, 3 * SIZE), dtype=np.float32)  # room on every side, then cut the middle
    field[SIZE + top : SIZE + top + height, SIZE + left : SIZE + left + width] = digit
    return field[SIZE : 2 * SIZE, SIZE : 2 * SIZE]
