"""Inside the models, a part of the page: codes, error maps, first layers, repeated denoising, the plain
autoencoder, the U-Net's skip connections, what the codes know (ui/codes.py), for the digit and noise on view;
and the walk from that digit to a second one, in pixels and in each model's code.

    inside.section(page)                               # the accordion; it follows every comparison while open
    html = inside_html(lab.inspect(digit, "gaussian", 0.5))

`lab.inspect` computes it in the models' process (dae.inside); no torch here.
Signed values (errors, weights, codes, feature maps) are drawn blue below
zero, white at zero and red above, each picture on a scale symmetric about
zero; error maps share one fixed scale, so the models can be compared by eye.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import gradio as gr
import numpy as np

from dae.inside import skip_effect  # numpy only: dae.inside imports torch inside its functions
from dae.names import NAMES
from dae.samples import grid

from .codes import between_html, code_maps_section
from .compare import EXAMPLES, read_upload
from .page import QUIET, Page, check_params, messages
from .panels import db, png_data_url, reading_text

if TYPE_CHECKING:
    from dae.inside import Inside

NEGATIVE, ZERO, POSITIVE = np.array([37, 99, 235]), np.array([255, 255, 255]), np.array([220, 38, 38])
GAP = np.nan  # mosaic gaps: drawn in light grey
MODEL_TITLES = {name: NAMES[name].title for name in ("linear", "conv", "unet", "plain", "unet_no_skips")}
NOTE = (
    "What happens inside the autoencoders for the digit and noise on view: where each one goes wrong, what a "
    "network trained without noise makes of the same input, what the U-Net's skip connections carry, what each "
    "keeps in its code, what its first layer looks for, and what happens when it denoises its own output again "
    "and again."
)


BETWEEN_LABEL = "From the digit on view to a second digit (an MNIST example): the path in pixels and in each code"


def _signed_palette(steps: int = 127) -> np.ndarray:
    # index 0: -scale (blue), `steps`: zero (white), 2 * steps: +scale (red), 255: NaN (light grey)
    t = np.linspace(-1, 1, 2 * steps + 1)[:, None]
    colours = np.where(t < 0, ZERO + (NEGATIVE - ZERO) * -t, ZERO + (POSITIVE - ZERO) * t)
    return np.vstack([np.rint(colours), [[229, 229, 229]]]).astype(np.uint8)


SIGNED_PALETTE = _signed_palette()  # [256, 3]


def signed_indices(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """[H, W] values -> uint8 [H, W] indices into SIGNED_PALETTE: blue (-scale), white (0), red (+scale).

    scale: the value drawn at full colour; None takes the largest magnitude. NaN is light grey.
    """
    values = np.asarray(values, dtype=np.float32)
    if scale is None:
        scale = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    t = np.clip(np.nan_to_num(values) / max(scale, 1e-8), -1, 1)
    indices = np.rint((t + 1) * 127).astype(np.uint8)
    indices[np.isnan(values)] = 255
    return indices


def signed_picture(values: np.ndarray, alt: str, css: str = "", scale: float | None = None) -> str:
    """An inline PNG of signed values in SIGNED_PALETTE's colours."""
    return _img(png_data_url(signed_indices(values, scale), palette=SIGNED_PALETTE), alt, css)


def mosaic(images: np.ndarray, columns: int, gap: float = GAP) -> np.ndarray:
    """[K, h, w] -> one picture, the tiles one pixel apart (`gap` between): dae.samples.grid, in float."""
    return grid(np.asarray(images, dtype=np.float32), columns=columns, gap=1, fill=gap)


def grid_of_values(values: np.ndarray) -> np.ndarray:
    """A code vector as a near-square grid (NaN pads the last row)."""
    columns = int(np.ceil(np.sqrt(len(values))))
    padded = np.full(columns * -(-len(values) // columns), GAP, dtype=np.float32)
    padded[: len(values)] = values
    return padded.reshape(-1, columns)


def picture(image: np.ndarray, alt: str, css: str = "") -> str:
    """An inline PNG of a grey [0, 1] image."""
    return _img(png_data_url(image), alt, css)


def _img(url: str, alt: str, css: str) -> str:
    return f'<img class="{css}" src="{url}" alt="{alt}" title="{alt}">'


def card(title: str, body: str, note: str = "") -> str:
    note = f"<figcaption>{note}</figcaption>" if note else ""
    return f'<figure class="inside-card"><h4>{title}</h4>{body}{note}</figure>'


def _reading(inside: Inside, name: str) -> str:
    if name not in inside.readings:
        return ""
    clean = inside.readings.get("clean") if name in MODEL_TITLES else None  # reconstructions only
    return f'<div class="reads">{reading_text(inside.readings[name], clean)}</div>'


def errors_section(inside: Inside) -> str:
    tiles = "".join(
        f'<div class="tile">{signed_picture(inside.errors[name], f"{MODEL_TITLES[name]} error map", "px", scale=1.0)}'
        f'<div class="label">{MODEL_TITLES[name]}<br>PSNR {db(inside.psnr[name])} dB</div></div>'
        for name in ("linear", "conv", "unet")
        if name in inside.errors
    )
    note = (
        "Reconstruction minus clean digit. <span class='pos'>Red</span>: ink the model added, "
        "<span class='neg'>blue</span>: ink it lost, white: right. All maps share one scale (±1)."
    )
    return card("Where each reconstruction is wrong", f'<div class="tiles">{tiles}</div>', note)


def codes_section(inside: Inside) -> str:
    linear, conv = inside.linear_code, inside.conv_code
    channels = len(conv)
    tiles = (
        f'<div class="tile">{signed_picture(grid_of_values(linear), "the linear code", "px")}'
        f'<div class="label">Linear: {linear.size} numbers</div></div>'
        f'<div class="tile">{signed_picture(mosaic(conv, columns=8), "the conv code", "px wide")}'
        f'<div class="label">Conv: {channels} maps of {conv.shape[1]}×{conv.shape[2]} = {conv.size:,} numbers</div>'
        "</div>"
    )
    note = (
        "The bottleneck: all either decoder gets to rebuild the digit from, for this noisy input (784 pixels). "
        "The linear code has no layout, one square per unit; each conv map keeps a coarse picture of the digit."
    )
    return card("What each model keeps: its code", f'<div class="tiles">{tiles}</div>', note)


def strip_of(picture_html: str, labels: list[str]) -> str:
    """One picture of tiles side by side, and a label under each tile: one PNG instead of one per tile."""
    cells = "".join(f"<span>{label}</span>" for label in labels)
    return f'<div class="strip">{picture_html}<div class="strip-labels">{cells}</div></div>'


def first_layer_section(inside: Inside) -> str:
    responses = inside.filter_responses
    filters = signed_picture(mosaic(inside.filters, columns=len(responses)), "linear first-layer filters", "px")
    maps = inside.feature_maps
    feature = signed_picture(mosaic(maps, columns=8), "the conv model's first-layer feature maps", "px wide")
    body = (
        strip_of(filters, [f"{r:+.1f}" for r in responses])
        + '<p class="sub">Linear: the first-layer units that respond most to this input, each a 28×28 weight '
        "pattern over the whole image (the number: its response). Red weights add to the response where there is "
        "ink, blue ones subtract.</p>"
        f'<div class="tiles"><div class="tile">{feature}</div></div>'
        f'<p class="sub">Conv: the {len(maps)} maps of its first layer for this input. Each is one small 3×3 '
        "pattern slid over the image: local strokes and edges, wherever they are.</p>"
    )
    return card("What the first layer looks for", body)


def repeats_section(inside: Inside) -> str:
    rows = []
    for name in ("linear", "conv"):
        steps = inside.repeats[name]
        readings = inside.repeat_readings.get(name, [])
        clean = inside.readings.get("clean")
        labels = [
            f"×{i + 1}" + (f"<br>{reading_text(readings[i], clean)}" if i < len(readings) else "")
            for i in range(len(steps))
        ]
        row = picture(
            mosaic(steps, columns=len(steps), gap=0.5), f"{MODEL_TITLES[name]}, applied again and again", "px"
        )
        rows.append(
            f'<div class="repeat-row"><div class="row-title">{MODEL_TITLES[name]}</div>{strip_of(row, labels)}</div>'
        )
    note = (
        "Each model applied again to its own output. A denoiser that learnt what digits look like settles on one; "
        "if the reading changes along the row, the model drifts toward another digit."
    )
    return card("Denoise again, and again", "".join(rows), note)


def plain_section(inside: Inside) -> str:
    if "plain" not in inside.outputs:
        return ""
    shown = ["noisy", "plain", "linear"]
    images = {"noisy": inside.noisy, **inside.outputs}
    titles = {"noisy": NAMES["noisy"].title, **MODEL_TITLES}
    tiles = "".join(
        f'<div class="tile">{picture(images[name], titles[name], "px grey")}'
        f'<div class="label">{titles[name]}'
        + (f"<br>PSNR {db(inside.psnr[name])} dB" if name in inside.psnr else "")
        + f"</div>{_reading(inside, name)}</div>"
        for name in shown
    )
    gap = inside.psnr["linear"] - inside.psnr["plain"]
    note = (
        "Same architecture as the linear DAE, same training digits, same recipe, but trained on clean inputs only: "
        "it learnt to copy digits, not to remove noise. "
        f"Here the DAE is <b>{gap:+.1f} dB</b> {'better' if gap >= 0 else 'worse'}: that is what the noise in "
        "training buys."
    )
    return card("The same network trained without noise", f'<div class="tiles">{tiles}</div>', note)


def skips_section(inside: Inside) -> str:
    """The U-Net with and without its skip connections, and what they carried for this input."""
    effect = skip_effect(inside)
    if effect is None:
        return ""
    tiles = "".join(
        f'<div class="tile">{picture(image, title, "px grey")}<div class="label">{title}'
        + (f"<br>PSNR {db(inside.psnr[name])} dB" if name in inside.psnr else "")
        + f"</div>{_reading(inside, name)}</div>"
        for name, title, image in (
            ("noisy", NAMES["noisy"].title, inside.noisy),
            ("unet", MODEL_TITLES["unet"], inside.outputs["unet"]),
            ("unet_no_skips", MODEL_TITLES["unet_no_skips"], inside.outputs["unet_no_skips"]),
        )
    )
    carried = inside.outputs["unet"] - inside.outputs["unet_no_skips"]
    tiles += (
        f'<div class="tile">{signed_picture(carried, "what the skips added", "px", scale=1.0)}'
        '<div class="label">What the skips added</div></div>'
    )
    note = (
        "The skip connections hand each scale's maps straight across to the decoder, past the bottleneck. "
        "Zeroed, the decoder has only the bottleneck's 7×7 maps to rebuild the digit from. "
        f"<b>{skip_sentence(effect.gain_db, effect.away_share)}</b>"
    )
    return card("What the U-Net's skip connections carry", f'<div class="tiles">{tiles}</div>', note)


def skip_sentence(gain_db: float, away_share: float) -> str:
    """One sentence on what the skips carried: the PSNR they bought, and whether some of it was noise."""
    if gain_db < 0:
        return (
            f"Here they cost {-gain_db:.1f} dB: they carried more of the noise through than detail "
            f"({away_share:.0%} of their changes moved pixels away from the clean digit)."
        )
    text = f"Here they carried {gain_db:+.1f} dB of detail the bottleneck alone loses"
    if away_share >= 0.1:
        return text + f", and some noise too: {away_share:.0%} of their changes moved pixels away from the clean digit."
    return text + f"; almost no noise ({away_share:.0%} of their changes moved pixels away from the clean digit)."


def inside_html(inside: Inside | None, message: str = "", kind: str = "gaussian") -> str:
    """The whole Inside view (the noise of `kind` on view), or `message` alone when there is nothing to show."""
    if inside is None:
        return f'<p class="inside-empty">{message}</p>'
    sections = [
        errors_section(inside),
        plain_section(inside),
        skips_section(inside),
        codes_section(inside),
        code_maps_section(inside.code_maps, kind),
        first_layer_section(inside),
        repeats_section(inside),
    ]
    return f'<div class="inside-grid">{"".join(sections)}</div>'


def inside_view(lab, digit: np.ndarray | None, kind, strength, seed, other, is_open: bool):
    """The Inside view for the digit and noise on view, and the walk from that digit to example `other` (an index,
    or none): computed only while the section is open."""
    if not is_open:
        return gr.skip(), gr.skip()
    kind, strength, seed = check_params(kind, strength, seed)
    if digit is None:
        return inside_html(None, "Draw or pick a digit to look inside the models."), between_html({})
    with messages():
        return inside_html(lab.inspect(digit, kind, strength, seed), kind=kind), walk(lab, digit, other)


def walk(lab, digit: np.ndarray | None, other) -> str:
    """The walk from the digit on view to example `other` (its index; none: a prompt to pick one)."""
    if other in (None, "") or digit is None:
        return between_html({})
    index = int(other)
    with messages():
        return between_html(lab.interpolate(digit, read_upload(EXAMPLES[index])), f"example {index}")


def section(page: Page) -> None:
    """The Inside accordion: computed when opened, then after every new comparison while it stays open."""
    with gr.Accordion("Inside the models", open=False, elem_id="inside-section") as accordion:
        gr.Markdown(NOTE, elem_id="inside-note")
        view = gr.HTML(inside_html(None, "Opening…"), elem_id="inside")
        other = gr.Radio([(str(i), str(i)) for i in range(len(EXAMPLES))], label=BETWEEN_LABEL, elem_id="between-pick")
        between = gr.HTML(between_html({}), elem_id="between")
    is_open = gr.State(False)
    inputs, follow = [page.digit, *page.settings, other, is_open], partial(inside_view, page.lab)
    # after the panels, never delaying them: one event for the view and the walk, none of their work while closed
    page.panels.change(follow, inputs, [view, between], **QUIET)
    other.input(partial(walk, page.lab), [page.digit, other], between, **QUIET)
    accordion.expand(lambda: True, None, is_open, **QUIET).then(follow, inputs, [view, between], **QUIET)
    accordion.collapse(lambda: False, None, is_open, **QUIET)
