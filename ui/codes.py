"""What the code knows, drawn for the Inside view: maps of each model's codes, and lines between two digits.

    html = code_maps_section(inside, "masking")     # a map per model, the digit on view and its noisy version on it
    html = between_html(lab.interpolate(digit, other))  # decoded along the line between two digits' codes

The maps and the probe come from dae.probe (fitted by scripts/evaluate.py
--probe-only); numpy only here, like the rest of the web process.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dae.comparison import is_clear
from dae.inside import CodeMapView
from dae.kinds import NOISE_LABELS
from dae.names import CODES, NAMES
from dae.samples import grid

from .panels import percent, png_data_url

MAPPED = {name: NAMES[name].title for name in CODES}
CODE_SIZES = {"pixels": "784 numbers", "linear": "256", "plain": "256", "conv": "16 maps of 14×14", "unet": "96 of 7×7"}
# Tableau 10, the classes' colours: told apart by most readers, and each class's digit is written on its cloud
CLASS_COLOURS = np.array(
    [[78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79],
     [237, 201, 72], [176, 122, 161], [255, 157, 167], [156, 117, 95], [186, 176, 172]], dtype=np.uint8,
)  # fmt: skip
MAP_PIXELS = 300  # the map's picture: drawn at twice its size on the page, sharp on a phone
MAP_PALETTE = np.zeros((256, 3), np.uint8)
MAP_PALETTE[:10], MAP_PALETTE[255] = CLASS_COLOURS, 255  # index 255: the white ground
MAP_NOTE = (
    "Each dot is the code of one of 1,000 test digits, coloured by its class and placed on the plane in which "
    "the ten classes' middles lie furthest apart (PCA of the class means); each class's digit is written at its "
    "cloud's middle. The ring is the "
    "digit on view, the arrow where the noise moved its code. A code pushed off its class's cloud is read as "
    "another digit. The U-Net's bottleneck is not all its decoder gets: the skips bypass it."
)


def _frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The map's bounds: the middle 98% of the digits' points on each axis, with a margin."""
    low, high = np.percentile(points, 1, axis=0), np.percentile(points, 99, axis=0)
    margin = (high - low) * 0.08 + 1e-9
    return low - margin, high + margin


def _to_frame(xy: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Points -> [0, 1]² with y up (clipped: a point beyond the frame sits on its edge)."""
    unit = np.clip((np.asarray(xy, dtype=np.float64) - low) / (high - low), 0, 1)
    return np.stack([unit[..., 0], 1 - unit[..., 1]], axis=-1)


@lru_cache(maxsize=16)
def _cloud(points: bytes, labels: bytes) -> tuple[str, str]:
    """The dots as a palette PNG, and each class's digit at its cloud's median point (SVG text): drawn once per map."""
    xy = np.frombuffer(points, np.float32).reshape(-1, 2)
    classes = np.frombuffer(labels, np.int64)
    low, high = _frame(xy)
    unit = _to_frame(xy, low, high)
    image = np.full((MAP_PIXELS, MAP_PIXELS), 255, np.uint8)
    at = np.rint(unit * (MAP_PIXELS - 6) + 3).astype(int)
    for dx in (-1, 0, 1):  # 3×3 dots, a plus-shaped halo around them; later digits over earlier ones
        for dy in (-1, 0, 1):
            image[at[:, 1] + dy, at[:, 0] + dx] = classes
    for dx, dy in ((-2, 0), (2, 0), (0, -2), (0, 2)):
        image[at[:, 1] + dy, at[:, 0] + dx] = classes
    names = "".join(
        f'<text x="{x * 100:.1f}" y="{y * 100:.1f}">{digit}</text>'
        for digit in range(10)
        if (classes == digit).any()
        for x, y in [np.median(unit[classes == digit], axis=0)]
    )
    return png_data_url(image, palette=MAP_PALETTE), names


def code_map_svg(view: CodeMapView, title: str) -> str:
    """One map: the cloud of digits, the class digits, and the arrow from the clean code to the noisy one."""
    points = np.ascontiguousarray(view.points, np.float32)
    url, names = _cloud(points.tobytes(), view.labels.astype(np.int64).tobytes())
    low, high = _frame(points)
    (cx, cy), (nx, ny) = _to_frame(np.array([view.clean, view.noisy]), low, high) * 100
    clean, noisy = view.reads
    label = (
        f"{title}: map of 1,000 digits' codes; the probe reads the clean code as {clean} and the noisy one as {noisy}"
    )
    return (
        f'<svg class="code-map" viewBox="0 0 100 100" role="img" aria-label="{label}"><title>{label}</title>'
        f'<image href="{url}" x="0" y="0" width="100" height="100"/><g class="class-names">{names}</g>'
        f'<line class="moved" x1="{cx:.1f}" y1="{cy:.1f}" x2="{nx:.1f}" y2="{ny:.1f}"/>'
        f'<circle class="noisy-code" cx="{nx:.1f}" cy="{ny:.1f}" r="2.2"/>'
        f'<circle class="clean-code" cx="{cx:.1f}" cy="{cy:.1f}" r="3.2"/></svg>'
    )


def probe_line(maps: dict[str, CodeMapView], kind: str) -> str:
    """The probe's accuracy on each code, clean and under the kind on view, in one sentence."""
    shown = [name for name in MAPPED if name in maps]
    under = ", ".join(f"{MAPPED[name]} {maps[name].accuracy.get(kind, float('nan')):.0%}" for name in shown)
    clean = ", ".join(f"{maps[name].accuracy['clean']:.0%}" for name in shown)
    return (
        f"<b>{NOISE_LABELS[kind]} at 0.5</b>: a linear read-out trained on the clean codes of 1,000 labelled digits "
        f"reads {under} of the test digits right (of clean ones: {clean})."
    )


def code_maps_section(maps: dict[str, CodeMapView], kind: str) -> str:
    """The card "What the code knows", or nothing when the lab has no maps."""
    if not maps:
        return ""
    tiles = "".join(
        f'<div class="map-tile" data-model="{name}" data-reads-clean="{maps[name].reads[0]}" '
        f'data-reads-noisy="{maps[name].reads[1]}">{code_map_svg(maps[name], MAPPED[name])}'
        f'<div class="label">{MAPPED[name]} ({CODE_SIZES[name]})<br>'
        f"read as {maps[name].reads[0]}; noisy: {maps[name].reads[1]}</div></div>"
        for name in MAPPED
        if name in maps
    )
    body = f'<div class="maps">{tiles}</div><p class="sub probe-line">{probe_line(maps, kind)}</p>'
    return (
        f'<figure class="inside-card wide-card" id="code-maps"><h4>What the code knows</h4>{body}'
        f"<figcaption>{MAP_NOTE}</figcaption></figure>"
    )


BETWEEN_TITLES = {"pixels": "Pixels", "linear": NAMES["linear"].title, "conv": NAMES["conv"].title,
                  "unet": NAMES["unet"].title + " (with its skips)"}  # fmt: skip
BETWEEN_NOTE = (
    "Eight steps along the straight line from the digit on view to the other one: in pixels, a cross-fade; in "
    "each model's code, decoded. A code whose every point decodes to a digit has learnt where the digits lie; a "
    "path through ghosts has not (Bengio et al. 2013, Better mixing via deep representations). The ends are each "
    "model's reconstructions of the two clean digits."
)


def short_reading(reading: tuple[int, float]) -> str:
    """'7 · 98%' under a narrow frame; '?' when no digit gets half the classifier's confidence."""
    label, confidence = reading
    if not is_clear(reading):
        return f'<span class="unclear" title="no clear digit; the likeliest is {label}, at {confidence:.0%}">?</span>'
    return f"<strong>{label}</strong> {percent(confidence)}"


def between_html(lines: dict[str, tuple[np.ndarray, list[tuple[int, float]]]], other: str = "") -> str:
    """The interpolation rows (lab.interpolate's answer): one strip of frames per model, a reading under each."""
    if not lines:
        return '<p class="inside-empty">Pick a second digit to walk from the digit on view to it.</p>'
    rows = []
    for name, (frames, readings) in lines.items():
        strip = grid(frames.astype(np.float32) / 255, columns=len(frames), gap=1, fill=0.5)
        alt = f"{BETWEEN_TITLES[name]}: 8 steps from the digit on view to {other or 'the second digit'}"
        labels = "".join(f"<span>{short_reading(reading)}</span>" for reading in readings)
        rows.append(
            f'<div class="between-row" data-model="{name}" data-readings="{" ".join(str(r[0]) for r in readings)}">'
            f'<div class="row-title">{BETWEEN_TITLES[name]}</div><div class="strip">'
            f'<img class="px grey" src="{png_data_url(strip)}" alt="{alt}" title="{alt}">'
            f'<div class="strip-labels">{labels}</div></div></div>'
        )
    return (
        f'<figure class="inside-card" id="between-card">{"".join(rows)}<figcaption>{BETWEEN_NOTE}</figcaption></figure>'
    )
