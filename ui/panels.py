"""The comparison's pictures and words: the headline, the four panels with their scores, the curve's table.

    html = panels_html(headline(result), result)      # one HTML string: the 28x28 PNGs travel inline
    frame = curve_frame(result.curve, strength)       # the LinePlot's long table

No torch and no Gradio here: plain strings and tables from a `Comparison`.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pandas as pd
from PIL import Image

from dae.comparison import (
    METHODS,
    TIE_DB,
    Comparison,
    identity_flips,
    is_clear,
    looks_like_a_digit,
    to_uint8,
)

PANELS = {
    "clean": "Clean digit",
    "noisy": "Corrupted input",
    "linear": "Linear DAE",
    "conv": "Convolutional DAE",
}
RECONSTRUCTIONS = ("linear", "conv", "yours")
YOURS = "Your model"  # the fifth panel, once the visitor has trained one (ui/train.py)
SHORT = {"clean": "Clean", "noisy": "Noisy", "linear": "Linear", "conv": "Conv", "yours": "Yours"}  # on a phone
MODEL_NAMES = {"linear": "linear", "conv": "convolutional"}
RULE = (
    f"★ marks the autoencoder with the higher PSNR; under {TIE_DB:g} dB apart is a tie. "
    "<b>reads</b>: what a digit classifier sees in each image, and how sure it is (calibrated: 80% sure is right "
    "about 80% of the time; <b>no clear digit</b> when no digit reaches 50%); "
    "<b>identity flip</b>: a reconstruction that reads as another digit than the clean one. "
    "<b>PSNR</b>: how close every pixel is to the clean digit, in dB, higher is better. "
    "<b>SSIM</b>: how well strokes and shapes are kept, 1 is identical."
)


def db(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.1f}"


def headline(result: Comparison) -> str:
    """One sentence that says which autoencoder did better, by how much, by which measure, and whether SSIM agrees."""
    scores, better = result.scores, result.better
    linear, conv = scores["linear"], scores["conv"]
    if better == "tie":
        text = f"The two autoencoders tie: PSNR {db(conv['psnr'])} and {db(linear['psnr'])} dB."
    else:
        other = "linear" if better == "conv" else "conv"
        win, lose = scores[better], scores[other]
        gap = win["psnr"] - lose["psnr"]
        text = (
            f"The <strong>{MODEL_NAMES[better]}</strong> autoencoder is closer to the clean digit: "
            f"PSNR <strong>{db(win['psnr'])}</strong> against {db(lose['psnr'])} dB "
            f"(<strong>+{gap:.1f} dB</strong>)."
        )
        if win["ssim"] >= lose["ssim"]:
            text += f" SSIM agrees ({win['ssim']:.2f} against {lose['ssim']:.2f})."
        else:
            text += f" SSIM prefers the {MODEL_NAMES[other]} one ({lose['ssim']:.2f} against {win['ssim']:.2f})."
    if not looks_like_a_digit(result.readings):
        label, confidence = result.readings["clean"]
        text += (
            f" <span class='unsure'>This does not look much like a handwritten digit (the classifier reads "
            f"{label} at only {confidence:.0%}): both models learnt only digits, so expect them to turn it into "
            "something digit-like rather than restore it.</span>"
        )
    noisy = scores["noisy"]["psnr"]
    if math.isinf(noisy):
        text += " At strength 0 the input is the clean digit itself: an autoencoder can only lose detail."
    elif max(linear["psnr"], conv["psnr"]) < noisy:
        text += " Neither beats the corrupted input itself: the noise is too weak to be worth removing."
    return text


def png_data_url(image: np.ndarray, palette: np.ndarray | None = None) -> str:
    """A [0, 1] image as an inline PNG: a few hundred bytes in the page, no file, no second request.

    palette: uint8 [256, 3] colours; `image` is then uint8 indices into it (a colour picture at a third of
    the RGB bytes: five times faster to encode here).
    """
    buffer = io.BytesIO()
    if palette is None:
        picture = Image.fromarray(to_uint8(image))
    else:
        picture = Image.frombytes("P", image.shape[::-1], np.ascontiguousarray(image, dtype=np.uint8).tobytes())
        picture.putpalette(palette.tobytes())
    picture.save(buffer, format="PNG", compress_level=1)  # a tenth of a millisecond, not more
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def percent(confidence: float) -> str:
    """'86%'; '>99%' above 99.5%: a calibrated reader is never quite sure, and '100%' would say it is."""
    return ">99%" if confidence >= 0.995 else f"{confidence:.0%}"


def reading_text(reading: tuple[int, float], clean: tuple[int, float] | None = None) -> str:
    """'reads 7 · 98%', marked as an identity flip when `clean` (the clean digit's reading) has another label;
    'no clear digit' when no digit has even half the classifier's confidence (its best guess in the tooltip)."""
    label, confidence = reading
    if not is_clear(reading):
        return (
            f'<span class="unclear" title="no digit gets half the probability; the likeliest is {label}, at '
            f'{confidence:.0%}">no clear digit</span>'
        )
    text = f"reads <strong>{label}</strong> · {percent(confidence)}"
    if clean is not None and is_clear(clean) and clean[0] != label:
        text += ' <span class="flip" title="reads as a different digit from the clean one">identity flip</span>'
    return text


def reading_html(result: Comparison, name: str) -> str:
    """The classifier's reading under one panel (empty when the lab has no classifier)."""
    if name not in result.readings:
        return ""
    # only a reconstruction can flip the digit's identity; the noisy input's reading is shown as it is
    clean = result.readings["clean"] if name in identity_flips(result.readings, RECONSTRUCTIONS) else None
    return f'<div class="reads">{reading_text(result.readings[name], clean)}</div>'


def metric_html(scores: dict[str, float]) -> str:
    return (
        f'<span class="psnr">PSNR <strong>{db(scores["psnr"])}</strong> dB</span> '
        f'<span class="ssim">SSIM <strong>{scores["ssim"]:.2f}</strong></span>'
    )


def panels_html(text: str, result: Comparison | None = None) -> str:
    """The headline and the four panels (five with the visitor's trained model), each with its scores and a
    download link (empty frames without a result)."""
    figures = []
    titles = dict(PANELS, yours=YOURS) if result is not None and result.yours is not None else PANELS
    for name, title in titles.items():
        picture, metric, star = '<div class="frame"></div>', "", ""
        if result is not None:
            url = png_data_url(getattr(result, name))
            picture = (
                f'<img src="{url}" alt="{title}">'
                f'<a class="save" href="{url}" download="dae-{name}.png" title="Download this 28x28 PNG">⤓</a>'
            )
            metric = "the reference" if name == "clean" else metric_html(result.scores[name])
            metric += reading_html(result, name)
            star = ' <span class="star" title="higher PSNR">★</span>' if result.better == name else ""
        figures.append(
            f'<figure class="panel panel-{name}" data-name="{name}"><figcaption><span class="long">{title}</span>'
            f'<span class="short">{SHORT[name]}</span>{star}</figcaption>'
            f'<div class="picture">{picture}</div><div class="metric">{metric}</div></figure>'
        )
    rule = f'<p class="rule">{RULE}</p>' if result is not None else ""
    grid = f'<div class="panel-grid count-{len(titles)}">{"".join(figures)}</div>'
    return f'<p id="headline">{text}</p>{grid}{rule}'


def curve_frame(curve: dict, strength: float) -> pd.DataFrame:
    """The curve as the LinePlot's long table, with a vertical line at the current strength.

    Infinite values (strength 0, where the noisy input is the clean digit) have no place on a plot: left out.
    """
    rows = [
        (s, value, name)
        for name in METHODS
        for s, value in zip(curve["strength"], curve[name], strict=False)
        if np.isfinite(value)
    ]
    values = [value for _, value, _ in rows]
    if values:
        rows += [(strength, y, "current") for y in (min(values), max(values))]
    return pd.DataFrame(rows, columns=["strength", "PSNR (dB)", "method"])
