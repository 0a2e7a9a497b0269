"""The comparison's pictures and words: the headline, the panels with their scores, the curve's table.

    html = panels_html(headline(result), result)      # one HTML string: the 28x28 PNGs travel inline
    frame = curve_frame(result.curve, strength)       # the LinePlot's long table
    html = panels_html(headline(result, ("conv", "unet")), result, ("conv", "unet"))   # two models on view

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
    DENOISERS,
    METHODS,
    TIE_DB,
    Comparison,
    identity_flips,
    is_clear,
    looks_like_a_digit,
    ranking,
    to_uint8,
    winner,
)
from dae.names import NAMES

PANELS = {name: NAMES[name].title for name in ("clean", "noisy", *DENOISERS)}
RECONSTRUCTIONS = (*DENOISERS, "yours")  # "yours": the last panel, once the visitor has trained one (ui/train.py)
MODEL_NAMES = {name: NAMES[name].adjective for name in DENOISERS}
RULE = (
    f"★ marks the autoencoder on view with the highest PSNR; under {TIE_DB:g} dB from the next is a tie. "
    "<b>reads</b>: what a digit classifier sees in each image, and how sure it is (calibrated: 80% sure is right "
    "about 80% of the time; <b>no clear digit</b> when no digit reaches 50%); "
    "<b>identity flip</b>: a reconstruction that reads as another digit than the clean one. "
    "<b>PSNR</b>: how close every pixel is to the clean digit, in dB, higher is better. "
    "<b>SSIM</b>: how well strokes and shapes are kept, 1 is identical."
)


NOT_A_DIGIT = '<span class="unclear" title="see the note above the panels">not a digit?</span>'


def db(value: float, digits: int = 1) -> str:
    return "∞" if math.isinf(value) else f"{value:.{digits}f}"


def on_view(result: Comparison, models=DENOISERS) -> tuple[str, ...]:
    """The shipped autoencoders of `result` that the visitor keeps on view, in the panels' order."""
    return tuple(name for name in result.denoisers if name in models)


def headline(result: Comparison, models=DENOISERS) -> str:
    """One sentence that says which autoencoder on view did best, by how much, by which measure, and whether SSIM
    agrees. models: the shipped autoencoders on view (the visitor may hide some)."""
    scores = result.scores
    order = ranking(scores, on_view(result, models))
    if not order:
        return "No autoencoder on view: tick one under <b>Models</b>."
    best, others = order[0], order[1:]
    if len(order) == 1:
        text = (
            f"The <strong>{MODEL_NAMES[best]}</strong> autoencoder: PSNR <strong>{db(scores[best]['psnr'])}</strong>"
            f" dB, SSIM {scores[best]['ssim']:.2f}."
        )
    elif winner(scores, order) == "tie":
        tied = [name for name in order if scores[best]["psnr"] - scores[name]["psnr"] < TIE_DB]
        names = " and ".join(MODEL_NAMES[name] for name in tied)
        text = f"The {names} autoencoders tie: PSNR {' and '.join(db(scores[name]['psnr']) for name in tied)} dB."
        rest = [name for name in order if name not in tied]
        if rest:
            text += " " + _behind(scores, rest, best)
    else:
        runner = others[0]
        win, lose = scores[best], scores[runner]
        # a close win in two decimals, so the sentence never reads "19.4 against 19.4 dB (+0.1 dB)"
        digits = 1 if db(win["psnr"]) != db(lose["psnr"]) else 2
        text = (
            f"The <strong>{MODEL_NAMES[best]}</strong> autoencoder is closest to the clean digit: "
            f"PSNR <strong>{db(win['psnr'], digits)}</strong> against {db(lose['psnr'], digits)} dB for the "
            f"{MODEL_NAMES[runner]} one (<strong>+{win['psnr'] - lose['psnr']:.{digits}f} dB</strong>)"
            + "".join(f" and {db(scores[name]['psnr'])} for the {MODEL_NAMES[name]} one" for name in others[1:])
            + "."
        )
        top_ssim = max(order, key=lambda name: scores[name]["ssim"])
        if scores[top_ssim]["ssim"] <= win["ssim"]:
            text += f" SSIM agrees ({win['ssim']:.2f} against {lose['ssim']:.2f})."
        else:
            text += (
                f" SSIM prefers the {MODEL_NAMES[top_ssim]} one ({scores[top_ssim]['ssim']:.2f} against "
                f"{win['ssim']:.2f})."
            )
    if not looks_like_a_digit(result):
        text += novelty_note(result.novelty)
    noisy = scores["noisy"]["psnr"]
    if math.isinf(noisy):
        text += " At strength 0 the input is the clean digit itself: an autoencoder can only lose detail."
    elif max(scores[name]["psnr"] for name in order) < noisy:
        text += " None beats the corrupted input itself: the noise is too weak to be worth removing."
    return text


def novelty_note(novelty: dict) -> str:
    """The headline's 'Not a digit?' sentence (dae.novelty) and the strip that places the input among digits."""
    moved, limit, most = novelty["moved"], novelty["limit"], f"{novelty['limit_share']:.1%}".replace(".0%", "%")
    who = f"A linear DAE with a {novelty['code']}-number code"  # the score's own, narrower than the panel's
    if moved > limit:
        why = f"{who} moved it by {moved:.3f}, where {most} of digits move by less than {limit:.3f}"
    else:
        why = f"{who} moved it by {moved:.3f} ({most} of digits: less than {limit:.3f}), "
        why += "but classifiers of digits doubt it"
    above = percent_in_words(novelty["share"])
    return (
        f" <span class='unsure'><strong>Not a digit?</strong> {why}: its novelty is above that of {above} of "
        f"digits. The models learnt only digits, so they turn it into the nearest digit-like thing rather than "
        f"restore it.</span>{novelty_strip(novelty)}"
    )


def novelty_strip(novelty: dict, width: int = 240, height: int = 30) -> str:
    """An inline SVG: the digits' novelty as a histogram, the threshold as a dashed line, this input as a red mark
    (at the right edge when it is beyond every digit)."""
    edges, counts = np.asarray(novelty["edges"]), np.asarray(novelty["counts"], float)
    span = edges[-1] - edges[0]
    x = lambda value: float(np.clip((value - edges[0]) / span, 0, 1)) * (width - 4) + 2  # noqa: E731
    bar = (width - 4) / len(counts)
    tall = (height - 6) / max(1.0, counts.max())
    bars = "".join(
        f'<rect x="{2 + i * bar:.1f}" y="{height - 2 - c * tall:.1f}" width="{bar:.1f}" height="{c * tall:.1f}"/>'
        for i, c in enumerate(counts)
    )
    at, limit = x(novelty["score"]), x(novelty["threshold"])
    label = f"Where this input's novelty falls among digits': above {percent_in_words(novelty['share'])}"
    return (
        f'<svg class="novelty-strip" role="img" aria-label="{label}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{label}</title><g class="digits">{bars}</g>'
        f'<line class="threshold" x1="{limit:.1f}" x2="{limit:.1f}" y1="2" y2="{height}"/>'
        f'<line class="input" x1="{at:.1f}" x2="{at:.1f}" y1="0" y2="{height}"/></svg>'
    )


def _behind(scores: dict, names: list[str], best: str) -> str:
    """'The linear one is 3.2 dB behind.' for each of `names`."""
    return " ".join(
        f"The {MODEL_NAMES[name]} one is {scores[best]['psnr'] - scores[name]['psnr']:.1f} dB behind." for name in names
    )


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


def percent_in_words(share: float) -> str:
    """`percent` for a sentence or a text alternative: 'over 99%', never 'above >99%'."""
    return percent(share).replace(">", "over ")


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
    if name == "clean" and not looks_like_a_digit(result):  # no confident reading of what is not a digit
        return f'<div class="reads">{NOT_A_DIGIT}</div>'
    # only a reconstruction can flip the digit's identity; the noisy input's reading is shown as it is
    clean = result.readings["clean"] if name in identity_flips(result.readings, RECONSTRUCTIONS) else None
    return f'<div class="reads">{reading_text(result.readings[name], clean)}</div>'


def metric_html(scores: dict[str, float]) -> str:
    return (
        f'<span class="psnr">PSNR <strong>{db(scores["psnr"])}</strong><span class="unit"> dB</span></span> '
        f'<span class="ssim">SSIM <strong>{scores["ssim"]:.2f}</strong></span>'
    )


def panels_html(text: str, result: Comparison | None = None, models=DENOISERS) -> str:
    """The headline and the panels: the clean digit, the corrupted input, each autoencoder on view (`models`),
    and the visitor's trained model when there is one; each with its scores and a download link (empty frames
    without a result)."""
    figures = []
    if result is None:
        titles = {name: title for name, title in PANELS.items() if name not in DENOISERS or name in models}
    else:
        shown = ("clean", "noisy", *on_view(result, models))
        titles = {name: PANELS[name] for name in shown} | (
            {"yours": NAMES["yours"].title} if result.yours is not None else {}
        )
    best = winner(result.scores, on_view(result, models)) if result is not None else None
    for name, title in titles.items():
        picture, metric, star, said = '<div class="frame"></div>', "", "", ""
        if result is not None:
            url = png_data_url(getattr(result, name))
            picture = (
                f'<img src="{url}" alt="{panel_alt(result, name)}">'
                f'<a class="save" href="{url}" download="dae-{name}.png" title="Download this 28x28 PNG">⤓</a>'
            )
            metric = "the reference" if name == "clean" else metric_html(result.scores[name])
            metric += reading_html(result, name)
            star = ' <span class="star" title="highest PSNR">★</span>' if best == name else ""
            said = data_attributes(result, name, best == name)
        figures.append(
            f'<figure class="panel panel-{name}" data-name="{name}"{said}><figcaption><span class="long">{title}</span>'
            f'<span class="short">{NAMES[name].short}</span>{star}</figcaption>'
            f'<div class="picture">{picture}</div><div class="metric">{metric}</div></figure>'
        )
    rule = f'<p class="rule">{RULE}</p>' if result is not None else ""
    grid = f'<div class="panel-grid count-{len(titles)}">{"".join(figures)}</div>'
    winner_said = f' data-winner="{best}"' if result is not None else ""
    if result is not None and result.novelty is not None:
        flagged = str(result.novelty["flagged"]).lower()
        winner_said += f' data-novelty="{result.novelty["score"]:.4f}" data-flagged="{flagged}"'

    return f'<p id="headline"{winner_said}>{text}</p>{grid}{rule}'


def panel_alt(result: Comparison, name: str) -> str:
    """What a panel's image shows, in words: 'Convolutional DAE's reconstruction, PSNR 17.8 dB, reads 4'."""
    what = {"clean": "Clean digit, the reference", "noisy": "Corrupted input"}.get(
        name, f"{NAMES[name].title}'s reconstruction"
    )
    parts = [what]
    if name in result.scores:
        parts.append(f"PSNR {db(result.scores[name]['psnr'])} dB")
    if name == "clean" and not looks_like_a_digit(result):
        parts.append("not a digit?")
    elif name in result.readings:
        label, confidence = result.readings[name]
        parts.append(f"reads {label}, {percent_in_words(confidence)}" if is_clear(result.readings[name])
                     else "no clear digit")  # fmt: skip
    return ", ".join(parts)


def data_attributes(result: Comparison, name: str, best: bool) -> str:
    """What a panel says, for programs (the tests) to read: its PSNR and SSIM as shown, the classifier's reading,
    whether it has the star."""
    said = {}
    if name in result.scores:
        scores = result.scores[name]
        said.update(psnr=db(scores["psnr"]).replace("∞", "inf"), ssim=f"{scores['ssim']:.2f}")
    if name in result.readings:
        label, confidence = result.readings[name]
        said.update(label=str(label), confidence=f"{confidence:.4f}")
    if best:
        said["best"] = "true"
    return "".join(f' data-{key}="{value}"' for key, value in said.items())


def curve_frame(curve: dict, strength: float, models=DENOISERS) -> pd.DataFrame:
    """The curve as the LinePlot's long table, with a vertical line at the current strength; the autoencoders not
    in `models` are left out.

    Infinite values (strength 0, where the noisy input is the clean digit) have no place on a plot: left out.
    """
    rows = [
        (s, value, name)
        for name in METHODS
        if name in curve and (name not in DENOISERS or name in models)
        for s, value in zip(curve["strength"], curve[name], strict=False)
        if np.isfinite(value)
    ]
    values = [value for _, value, _ in rows]
    if values:
        rows += [(strength, y, "current") for y in (min(values), max(values))]
    return pd.DataFrame(rows, columns=["strength", "PSNR (dB)", "method"])
