"""Gradio's sessions: the page config built when it is read, and sessions nobody can come back to forgotten.

    from server.sessions import forget_finished_sessions, lazy_session_configs
    lazy_session_configs()       # once, before the app serves; True when it applied, a warning in the log when not
    forget_finished_sessions()   # the same

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
import time
from collections.abc import Iterator
from copy import copy

import gradio
from gradio import queueing, state_holder

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


# Forgetting sessions. Gradio keeps each session's state, its blocks' configs and its bookkeeping (about 35 KB
# here, docs/serving.md) until 10,000 newer sessions push it out. Two kinds of session can never be used again:
# - a plain-HTTP API call's (POST /gradio_api/call/NAME without a session hash): Gradio names it after the call's
#   event, so no later call reaches it;
# - a closed tab's, once the hour Gradio keeps its state for a reconnection (STATE_TTL_WHEN_CLOSED) has passed.
CHECKED_FORGET = {
    "push": "c7b4091f41b8f075",
    "process_events": "29a5c87974638f38",
    "delete_all_expired_state": "b370c1e4fe80b0ac",
}
ORIGINAL_FORGET = {
    "push": queueing.Queue.push,
    "process_events": queueing.Queue.process_events,
    "delete_all_expired_state": state_holder.StateHolder.delete_all_expired_state,
}
_ONE_CALL: set[str] = set()  # the session hashes of plain-HTTP API calls queued and not yet processed


def forget(holder: state_holder.StateHolder, session_hash: str) -> None:
    """Drop a session: its states' delete callbacks run first, as when Gradio lets a state expire."""
    holder.delete_state(session_hash)
    with holder.lock:
        holder.session_data.pop(session_hash, None)
        holder.time_last_used.pop(session_hash, None)


async def _push(self, body, request, username):
    anonymous = body.session_hash is None  # push names the session after the event
    answer = await ORIGINAL_FORGET["push"](self, body, request, username)
    if anonymous and answer[0] and body.session_hash is not None:
        _ONE_CALL.add(body.session_hash)
    return answer


async def _process_events(self, events, *args, **kwargs):
    try:
        return await ORIGINAL_FORGET["process_events"](self, events, *args, **kwargs)
    finally:  # the answer is in the session's message queue by now, which the call's stream reads
        for event in events:
            if event.session_hash in _ONE_CALL:
                _ONE_CALL.discard(event.session_hash)
                # its message queue and pending-event entry stay: the call's stream may still be reading them
                forget(self.blocks.state_holder, event.session_hash)


def _set_closed(self, closed: bool) -> None:
    self._closed_at = time.monotonic() if closed else None


def _delete_all_expired_state(self) -> None:
    ORIGINAL_FORGET["delete_all_expired_state"](self)  # what Gradio does every second: expired State values
    now = time.monotonic()
    for session_hash, session in list(self.session_data.items()):
        closed_at = getattr(session, "_closed_at", None)
        if closed_at is not None and now - closed_at > session.STATE_TTL_WHEN_CLOSED:
            forget(self, session_hash)


def forget_finished_sessions() -> bool:
    """Forget plain-HTTP API calls' sessions when their call ends, and closed tabs' an hour after they closed;
    True if applied (or already). Checked against Gradio 6.31 like `lazy_session_configs`; with another Gradio it
    changes nothing and says so in the log."""
    queue, holder = queueing.Queue, state_holder.StateHolder
    if queue.push is _push:
        return True
    try:
        current = {name: _source_hash(function) for name, function in ORIGINAL_FORGET.items()}
    except (OSError, TypeError):
        current = None
    if current != CHECKED_FORGET:
        LOG.warning(
            "server/sessions.py: Gradio %s's queue is not the one this patch was checked against (Gradio 6.31), so "
            "it is left as it is: each plain-HTTP API call's session is kept (about 35 KB, docs/serving.md) until "
            "10,000 newer sessions push it out. Check the patch against this Gradio and update CHECKED_FORGET.",
            gradio.__version__,
        )
        return False
    queue.push, queue.process_events = _push, _process_events
    holder.delete_all_expired_state = _delete_all_expired_state
    state_holder.SessionState.is_closed = property(
        lambda self: getattr(self, "_closed_at", None) is not None, _set_closed
    )
    return True
