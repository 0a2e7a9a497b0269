"""Gradio's per-session page config, built when it is read rather than for every new session.

    from server.sessions import lazy_session_configs
    lazy_session_configs()   # once, before the app serves; True when it applied, a warning in the log when not

For every new session Gradio (`gradio.state_holder.SessionState`) builds the config of every block of the
page: here 113 blocks, 6 ms and 187 KB, kept for up to 10,000 sessions. Only its deep-link route reads
them all. An API call over plain HTTP (POST /gradio_api/call/denoise) is a new session every time, so each
one paid the 6 ms, a quarter of what the API's denoise costs beyond a no-op (docs/serving.md, 2026-12-05).
With this, a session builds the config of a block when an event first touches it, and the rest when the
deep-link route reads them: the same configs, later.

It replaces `SessionState.__init__` and `SessionState.components` only where their source is the one
checked here (Gradio 6.31); with any other Gradio it changes nothing, logs a warning that names the Gradio
version and what is lost (each new session costs its page config again), and returns False.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
from collections.abc import Iterator
from copy import copy

import gradio
from gradio import state_holder

LOG = logging.getLogger(__name__)

# the first 16 hex digits of the sha256 of the source of SessionState.__init__ and of its `components` getter
# this patch was checked against: any change to either leaves Gradio as it is
CHECKED = {
    "__init__": "1b2ea21dc42c45da",
    "components": "010247a9cb27797d",
}
ORIGINAL = {"__init__": state_holder.SessionState.__init__, "components": state_holder.SessionState.components}


def _source_hash(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def _init(self, blocks) -> None:
    # Gradio's __init__, less the eager dict of every block's config
    self.blocks_config = copy(blocks.default_config)
    self.config_values = {}  # a block's config: set when an event touches it, the rest when `components` is read
    self._page_blocks = blocks.blocks
    self.state_data = {}
    self._state_ttl = {}
    self.is_closed = False
    self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600


def _components(self) -> Iterator[dict]:
    page = getattr(self, "_page_blocks", {})  # none for a session made before the patch: it built them all
    for key, block in self.blocks_config.blocks.items():
        if key in page and key not in self.config_values:
            self.config_values[key] = self.blocks_config.config_for_block(key, [], block)
    yield from ORIGINAL["components"].fget(self)


def lazy_session_configs() -> bool:
    """Make new Gradio sessions build their page config on first read; True if applied (or already)."""
    session = state_holder.SessionState
    if session.__init__ is _init:
        return True
    try:
        current = {"__init__": _source_hash(session.__init__), "components": _source_hash(session.components.fget)}
    except (OSError, TypeError, AttributeError):  # no source to check: leave Gradio as it is
        current = None
    if current != CHECKED:
        LOG.warning(
            "server/sessions.py: Gradio %s's SessionState is not the one this patch was checked against (Gradio "
            "6.31), so it is left as it is: every new session (each plain-HTTP API call) builds the whole page's "
            "config again (6 ms and 187 KB on 6.31, docs/serving.md). Check the patch against this Gradio and "
            "update CHECKED.",
            gradio.__version__,
        )
        return False
    session.__init__ = _init
    session.components = property(_components)
    return True
