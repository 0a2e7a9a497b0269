"""Digits and things that are not digits, drawn in code the way visitors give them to the page.

    image = drawn_digit(mnist_digit, seed=3)          # a PIL image: the digit's strokes on a 280x280 canvas
    data = paper_photo(mnist_digit, paper="ruled")     # JPEG bytes: the digit written on paper, photographed
    data = photographed_digit(mnist_digit, seed=3)     # the same, with a random paper, ink, light, size and place
    others = not_digits("shapes", 50, seed=0)          # PIL images: doodled shapes, letters or clothing outlines

The page's canvas gets thick strokes anywhere on it, in any colour; `drawn_digit`
draws a real MNIST digit's skeleton that way, with a random pen, size, place and
colour, so the novelty score (dae.novelty) can be calibrated on digits in the
page's own style. `not_digits` makes sets that are not digits, drawn the same
way, for evaluating it only: nothing here is used to fit it.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

PAPERS = ("plain", "ruled", "squared")
INKS = {"black": (28, 28, 34), "blue": (30, 50, 150)}
LIGHTS = ("even", "shadow")


def paper_photo(
    digit: np.ndarray,
    *,
    paper: str = "plain",
    ink: str = "black",
    light: str = "even",
    size: tuple[int, int] = (800, 600),
    fraction: float = 0.35,
    centre: tuple[float, float] = (0.5, 0.5),
    pen: float = 0.07,
    grey: bool = False,
    seed: int = 0,
    quality: int = 85,
) -> bytes:
    """A JPEG of `digit` written on paper; `fraction` of the short side tall, `centre` in fractions of the frame.

    pen: the stroke width as a share of the digit's height (MNIST's is about 0.11; a ballpoint's less).
    """
    rng = np.random.default_rng(seed)
    width, height = size
    short = min(size)
    alpha = strokes(np.asarray(digit, dtype=np.float32), round(fraction * short), pen)
    canvas = np.zeros((height, width), np.float32)
    top = int(np.clip(centre[1] * height - alpha.shape[0] / 2, 0, height - alpha.shape[0]))
    left = int(np.clip(centre[0] * width - alpha.shape[1] / 2, 0, width - alpha.shape[1]))
    canvas[top : top + alpha.shape[0], left : left + alpha.shape[1]] = alpha

    base = np.array((188, 188, 182) if grey else (242, 240, 233), np.float32)
    sheet = np.broadcast_to(base, (height, width, 3)).copy()
    rows, cols = np.mgrid[0:height, 0:width]
    if paper == "ruled":
        spacing = short / 16
        line = np.abs(((rows + rng.uniform(0, spacing)) % spacing) - spacing / 2) > spacing / 2 - 1.2
        sheet[line] = sheet[line] * 0.35 + np.array((150, 185, 225), np.float32) * 0.65
        margin = np.abs(cols - width * 0.12) < 1.2
        sheet[margin] = sheet[margin] * 0.4 + np.array((225, 120, 120), np.float32) * 0.6
    elif paper == "squared":
        spacing = short / 24
        offset = rng.uniform(0, spacing, 2)
        grid = (np.abs(((rows + offset[0]) % spacing) - spacing / 2) > spacing / 2 - 0.8) | (
            np.abs(((cols + offset[1]) % spacing) - spacing / 2) > spacing / 2 - 0.8
        )
        sheet[grid] = sheet[grid] * 0.45 + np.array((160, 175, 200), np.float32) * 0.55
    elif paper != "plain":
        raise ValueError(f"paper must be one of {PAPERS}")
    colour = np.array(INKS[ink], np.float32)
    photo = sheet * (1 - canvas[..., None]) + colour * canvas[..., None]

    # light: a gradient across the sheet, and maybe a soft shadow (a blurred blob over one side)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * (cols / width - 0.5) + np.sin(angle) * (rows / height - 0.5)).astype(np.float32)
    shade = 0.93 + 0.22 * ramp
    if light == "shadow":
        blob = np.zeros((height, width), np.float32)
        cy, cx = rng.uniform(0.1, 0.9) * height, rng.choice([0.05, 0.95]) * width
        blob[(rows - cy) ** 2 / (0.45 * height) ** 2 + (cols - cx) ** 2 / (0.35 * width) ** 2 < 1] = 1
        shade *= 1 - 0.38 * ndimage.gaussian_filter(blob, short / 12)
    elif light != "even":
        raise ValueError(f"light must be one of {LIGHTS}")
    photo = photo * shade[..., None] + rng.normal(0, 3.0, photo.shape)
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def strokes(digit: np.ndarray, side: int, pen: float) -> np.ndarray:
    """The digit as pen strokes `side` pixels tall: its skeleton drawn with a round pen `pen * side` wide."""
    big = np.asarray(Image.fromarray(np.asarray(digit, np.float32)).resize((side, side), Image.Resampling.BICUBIC))
    return pen_strokes(big > 0.45, pen * side)


def pen_strokes(shape: np.ndarray, width: float) -> np.ndarray:
    """A boolean picture as strokes: its skeleton (scikit-image) drawn with a round pen `width` pixels wide, as
    alpha in [0, 1] with an anti-aliased edge."""
    from skimage.morphology import skeletonize

    skeleton = skeletonize(shape)
    if not skeleton.any():  # an empty page
        return np.zeros(shape.shape, np.float32)
    radius = max(0.8, width / 2)
    distance = ndimage.distance_transform_edt(~skeleton)
    return np.clip(radius + 0.5 - distance, 0, 1).astype(np.float32)  # anti-aliased edge, one pixel wide


CANVAS = 280  # the side of the canvas drawings are made on (the page's is about this size on a desktop)
PENS = (0.04, 0.11)  # the pen's width as a share of the canvas side (the page's own pen: 0.075)
SIZES = (0.35, 0.9)  # the drawing's longer side as a share of the canvas side


def drawn_digit(digit: np.ndarray, seed: int = 0) -> Image.Image:
    """A real digit (28x28, white on black) as a visitor might draw it: its skeleton with a random pen, at a random
    size and place on the canvas, in a random ink on a random background."""
    rng = np.random.default_rng(seed)
    return _paint(_inked(np.asarray(digit, np.float32) / max(1e-6, float(np.max(digit))), rng), rng)


def photographed_digit(digit: np.ndarray, seed: int = 0) -> bytes:
    """A real digit (28x28, white on black, in [0, 1]) written on a random paper, in a random ink and light, at a
    random size, place and pen, and photographed: JPEG bytes (see `paper_photo`)."""
    rng = np.random.default_rng(seed)
    return paper_photo(
        np.asarray(digit, np.float32),
        paper=PAPERS[rng.integers(len(PAPERS))],
        ink=list(INKS)[rng.integers(len(INKS))],
        light=LIGHTS[rng.integers(len(LIGHTS))],
        fraction=rng.uniform(0.25, 0.6),
        centre=(rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65)),
        pen=rng.uniform(0.05, 0.12),
        seed=seed,
    )


def _inked(picture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A picture of ink (float, any size) as pen strokes at a random size and place on the canvas: alpha [CANVAS]²."""
    box = _box(rng)
    height, width = picture.shape
    scale = box[2] / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    big = np.asarray(Image.fromarray(picture.astype(np.float32)).resize(size, Image.Resampling.BICUBIC))
    shape = np.zeros((CANVAS, CANVAS), bool)
    shape[box[1] : box[1] + size[1], box[0] : box[0] + size[0]] = big > 0.45
    return pen_strokes(shape, rng.uniform(*PENS) * CANVAS)


def _box(rng: np.random.Generator) -> tuple[int, int, int]:
    """(left, top, side) of a random square on the canvas that the drawing fills."""
    side = round(rng.uniform(*SIZES) * CANVAS)
    left, top = rng.integers(0, CANVAS - side + 1, 2)
    return int(left), int(top), side


def _paint(alpha: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Strokes (alpha [H, W]) in a random ink: dark or coloured on a light background, or light on a dark one."""
    if rng.random() < 0.6:
        paper, ink = rng.uniform(225, 255, 3), rng.uniform(0, 120, 3)
    else:
        paper, ink = rng.uniform(0, 40, 3), rng.uniform(170, 255, 3)
    picture = paper * (1 - alpha[..., None]) + ink * alpha[..., None]
    return Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))


def _polygon(corners: int, inner: float = 1.0, turn: float = 0.0) -> np.ndarray:
    """A closed regular polygon (every other corner at `inner` of the radius: a star), centred on (0, 0)."""
    count = corners * (2 if inner != 1.0 else 1)
    angle = turn + np.arange(count + 1) * 2 * math.pi / count - math.pi / 2
    radius = np.where(np.arange(count + 1) % 2 == 1, inner, 1.0) if inner != 1.0 else np.ones(count + 1)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)


def _curve(x, y) -> np.ndarray:
    return np.stack([np.asarray(x, float), np.asarray(y, float)], 1)


T = np.linspace(0, 2 * math.pi, 120)
# doodles that are not digits, as strokes (each an array of points, y down); each is drawn with a wobble, a turn and
# a stretch of its own. Shapes a digit is drawn as (a circle, a line, a hook) are left out: those are digits.
SHAPES = {
    "star": lambda: [_polygon(5, inner=0.4)],
    "triangle": lambda: [_polygon(3)],
    "square": lambda: [_polygon(4, turn=math.pi / 4)],
    "diamond": lambda: [_polygon(4) * [0.7, 1]],
    "hexagon": lambda: [_polygon(6)],
    "heart": lambda: [
        _curve(16 * np.sin(T) ** 3, -(13 * np.cos(T) - 5 * np.cos(2 * T) - 2 * np.cos(3 * T) - np.cos(4 * T)))
    ],  # fmt: skip
    "spiral": lambda: [_curve(T * 2 * np.cos(T * 2), T * 2 * np.sin(T * 2))],
    "house": lambda: [_curve([0, 0.5, 1, 1, 0, 0, 1], [0.5, 0, 0.5, 1.5, 1.5, 0.5, 0.5])],
    "arrow": lambda: [_curve([0, 1], [0.5, 0.5]), _curve([0.7, 1, 0.7], [0.2, 0.5, 0.8])],
    "smiley": lambda: [
        _curve(np.cos(T), np.sin(T)),
        _curve(0.5 * np.cos(T[20:41]), 0.5 * np.sin(T[20:41])),
        _curve([-0.35, -0.35], [-0.45, -0.25]),
        _curve([0.35, 0.35], [-0.45, -0.25]),
    ],
    "lightning": lambda: [_curve([0.6, 0.2, 0.55, 0.3, 0.9, 0.5, 0.8], [0, 0.5, 0.5, 1, 0.4, 0.4, 0])],
    "plus": lambda: [_curve([0.5, 0.5], [0, 1]), _curve([0, 1], [0.5, 0.5])],
    "cross": lambda: [_curve([0, 1], [0, 1]), _curve([0, 1], [1, 0])],
    "hash": lambda: [
        _curve([0.35, 0.3], [0, 1]),
        _curve([0.7, 0.65], [0, 1]),
        _curve([0, 1], [0.35, 0.35]),
        _curve([0, 1], [0.65, 0.65]),
    ],
    "wave": lambda: [_curve(T, np.sin(2 * T) * 1.2)],
    "zigzag": lambda: [_curve(np.arange(7), np.arange(7) % 2 * 2)],
    "cloud": lambda: [
        _curve(
            np.concatenate([np.cos(T[:60]) + 2 * k for k in range(3)]),
            np.concatenate([-np.abs(np.sin(T[:60])) for _ in range(3)]),
        ),
        _curve([-1, 5], [0, 0]),
    ],
    "moon": lambda: [
        _curve(np.cos(T[30:91]), np.sin(T[30:91])),
        _curve(0.6 + 0.7 * np.cos(T[38:83]) - 0.35, np.sin(T[38:83]) * 0.95),
    ],
    "tree": lambda: [_curve([0, 0.5, 1, 0], [0.7, 0, 0.7, 0.7]), _curve([0.42, 0.42, 0.58, 0.58], [0.7, 1, 1, 0.7])],
    "fish": lambda: [_curve(np.cos(T), 0.5 * np.sin(T)), _curve([1, 1.6, 1.6, 1], [0, -0.4, 0.4, 0])],
    "flower": lambda: [_curve(np.cos(5 * T) * np.cos(T), np.cos(5 * T) * np.sin(T))],
    "envelope": lambda: [_curve([0, 1.4, 1.4, 0, 0], [0, 0, 1, 1, 0]), _curve([0, 0.7, 1.4], [0, 0.55, 0])],
    "t-shirt": lambda: [
        _curve(
            [0.3, 0, -0.2, 0.15, 0.25, 0.25, 0.75, 0.75, 0.85, 1.2, 1, 0.7, 0.6, 0.4, 0.3],
            [0, 0.1, 0.4, 0.5, 0.35, 1, 1, 0.35, 0.5, 0.4, 0.1, 0, 0.1, 0.1, 0],
        )
    ],
    "infinity": lambda: [_curve(np.cos(T) / (1 + np.sin(T) ** 2), np.sin(T) * np.cos(T) / (1 + np.sin(T) ** 2))],
    "scribble": None,  # a random smooth loop: made in `_doodle`
}


def _doodle(name: str, rng: np.random.Generator) -> np.ndarray:
    """One of SHAPES drawn by hand: turned, stretched and wobbled, as strokes on the canvas (alpha [CANVAS]²)."""
    if name == "scribble":
        steps = rng.normal(0, 1, (12, 2)).cumsum(0)
        strokes = [ndimage.zoom(steps, (8, 1), order=3)]
    else:
        strokes = SHAPES[name]()
    turn = rng.uniform(-0.3, 0.3)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    stretch = rng.uniform(0.75, 1.25, 2)
    strokes = [(np.asarray(s, float) @ rotation.T) * stretch for s in strokes]
    points = np.concatenate(strokes)
    low, span = points.min(0), (points.max(0) - points.min(0)).max()
    left, top, side = _box(rng)
    picture = Image.new("L", (CANVAS, CANVAS))
    draw = ImageDraw.Draw(picture)
    for stroke in strokes:
        wobble = ndimage.gaussian_filter1d(rng.normal(0, 0.02, stroke.shape), 3, axis=0, mode="nearest")
        xy = ((stroke - low) / span + wobble) * side + [left, top]
        draw.line([tuple(p) for p in np.clip(xy, 0, CANVAS - 1)], fill=1, width=1)
    return pen_strokes(np.asarray(picture) > 0, rng.uniform(*PENS) * CANVAS)


LETTERS = "ABCDEFGHJKLMNPQRTUVWXYabdefhkmnpqrtuwy"  # letters that no one would take for a digit (no O, I, l, S, Z...)
FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "LiberationSans-Regular.ttf", "LiberationSerif-Italic.ttf")


def _letter(letter: str, rng: np.random.Generator) -> np.ndarray:
    """A letter as strokes: a font's glyph (one of FONTS where installed, else Pillow's own), thinned to its skeleton
    and drawn with a random pen at a random size and place."""
    try:
        font = ImageFont.truetype(FONTS[rng.integers(len(FONTS))], 160)
    except OSError:
        font = ImageFont.load_default(size=160)
    picture = Image.new("L", (240, 240))
    ImageDraw.Draw(picture).text((40, 20), letter, fill=255, font=font)
    glyph = np.asarray(picture, np.float32) / 255
    rows, cols = np.nonzero(glyph > 0.5)
    return _inked(glyph[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], rng)


def _outline(item: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A piece of clothing (a Fashion-MNIST image, 28x28) as its outline, drawn with a random pen."""
    shape = ndimage.binary_fill_holes(np.asarray(item, np.float32) > 0.1 * float(np.max(item)))
    edge = ndimage.binary_dilation(shape & ~ndimage.binary_erosion(shape), iterations=1)
    return _inked(edge.astype(np.float32), rng)


FAMILIES = ("shapes", "letters", "clothing")


def not_digits(family: str, n: int, seed: int = 0, clothing: np.ndarray | None = None) -> list[Image.Image]:
    """n drawings of `family` (one of FAMILIES), each with its own pen, size, place and colours: doodled SHAPES,
    LETTERS, or the outlines of `clothing` (Fashion-MNIST images [N, 28, 28], needed for that family)."""
    rng = np.random.default_rng(seed)
    if family == "shapes":
        names = list(SHAPES)
        made = [_doodle(names[i % len(names)], rng) for i in range(n)]
    elif family == "letters":
        made = [_letter(LETTERS[i % len(LETTERS)], rng) for i in range(n)]
    elif family == "clothing" and clothing is not None:
        made = [_outline(clothing[i % len(clothing)], rng) for i in range(n)]
    else:
        raise ValueError(f"family must be one of {FAMILIES} (clothing needs Fashion-MNIST images)")
    return [_paint(alpha, rng) for alpha in made]
