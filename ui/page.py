"""What the parts of the page share: the `Page` they build on, the one error translation, the quiet event style.

    page = Page(demo, lab)              # in app.build(), inside `with gr.Blocks() as demo`
    compare.section(page)               # fills in page.digit, page.kind, ..., page.panels, page.curve
    inside.section(page)                # reads them: its view follows every new comparison
    with messages():                    # a LabError, ValueError or TrainingError becomes a gr.Error for the visitor
        lab.compare(...)

Each part is one module of ui/ with a `section(page)` that lays out its
components inside the caller's container and wires its own events; its
handlers live beside it and take the lab as their first argument.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gradio as gr

from dae.kinds import check_noise, check_seed
from dae.lab_process import LabError
from dae.live import TrainingError
from dae.preprocess import ImageInputError

# one submit per user change: .input fires on the user's own changes only, not when the page sets a value
QUIET = dict(api_visibility="private", trigger_mode="always_last", show_progress="hidden")


@dataclass
class Page:
    """The Blocks being built, the models' lab, and the components more than one part reads or writes.

    The comparison (ui/compare.py) makes them: the digit on view (a State), the noise settings, the models on
    view, the visitor's trained model (a State, the path of its checkpoint zip), the panels and the curve.
    """

    demo: gr.Blocks
    lab: Any  # a LabProcess or LocalLab (dae.lab_process): compare, inspect, generate
    digit: gr.State | None = None
    kind: gr.Radio | None = None
    strength: gr.Slider | None = None
    seed: gr.Number | None = None
    models: gr.CheckboxGroup | None = None
    yours: gr.State | None = None
    panels: gr.HTML | None = None
    curve: gr.LinePlot | None = None
    refresh: Any = None  # the comparison's handler over `current` -> `outputs`, for a part that changes what is on view

    @property
    def settings(self) -> list:
        """The noise settings: kind, strength, seed."""
        return [self.kind, self.strength, self.seed]

    @property
    def current(self) -> list:
        """What the comparison is drawn from: the digit, the noise settings, the visitor's model, the models on view."""
        return [self.digit, *self.settings, self.yours, self.models]

    @property
    def outputs(self) -> list:
        """What a comparison updates: the digit (state), the panels with their scores, the curve."""
        return [self.digit, self.panels, self.curve]


@contextmanager
def messages() -> Iterator[None]:
    """Turn what can go wrong in a request into a message for the visitor, and keep serving."""
    try:
        yield
    except LabError as error:  # the models' process died (it restarts): say so
        raise gr.Error(f"Sorry, {error}.") from None
    except TrainingError as error:
        raise gr.Error(f"Training failed: {error}.") from None
    except ImageInputError as error:  # already a sentence that says what to do
        raise gr.Error(str(error)) from None
    except ValueError as error:  # bad values from the API, or the visitor's trained model is gone
        raise gr.Error(str(error).capitalize() + ".") from None


def check_params(kind, strength, seed) -> tuple[str, float, int]:
    """Validate the noise settings (the API sends anything); a gr.Error names the valid values."""
    with messages():
        return kind, check_noise(kind, strength), check_seed(seed)


class StopFlags:
    """Per-visitor stop requests: a Stop button sets one, the visitor's running training takes it."""

    def __init__(self):
        self._flags: set[str] = set()
        self._lock = threading.Lock()

    def set(self, session: str) -> None:
        with self._lock:
            self._flags.add(session)

    def take(self, session: str) -> bool:
        """Whether the visitor asked to stop since the last take (and forget it)."""
        with self._lock:
            found = session in self._flags
            self._flags.discard(session)
            return found
