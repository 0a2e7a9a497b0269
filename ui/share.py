"""Shareable state: the page opens in the state its URL names, and "Copy link" writes such a URL.

    /?kind=masking&strength=0.3&seed=5&example=7&models=conv,unet

Every parameter is optional and checked like any other input: a bad one is
left out with a message naming the valid values, and the rest still apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dae.comparison import DENOISERS
from dae.kinds import MAX_SEED, NOISE_KINDS, check_noise, check_seed


@dataclass
class SharedState:
    kind: str = "gaussian"
    strength: float = 0.5
    seed: int = 0
    example: int = 7
    models: tuple[str, ...] = DENOISERS  # the autoencoders on view
    problems: list[str] = field(default_factory=list)  # one message per parameter that was left out


def read_query(query: Mapping[str, str], *, examples: int, default: SharedState | None = None):
    """The state a URL's query names, on top of `default`; bad values are reported in `problems`, not applied."""
    state = default or SharedState()
    state = SharedState(state.kind, state.strength, state.seed, state.example, state.models, [])
    if "kind" in query:
        if query["kind"] in NOISE_KINDS:
            state.kind = query["kind"]
        else:
            state.problems.append(f"kind={query['kind']!r} is not a noise kind ({', '.join(NOISE_KINDS)})")
    if "strength" in query:
        try:
            state.strength = check_noise(state.kind, query["strength"])
        except ValueError:
            state.problems.append(f"strength={query['strength']!r} is not a number from 0 to 1")
    if "seed" in query:
        try:
            state.seed = check_seed(query["seed"])
        except ValueError:
            state.problems.append(f"seed={query['seed']!r} is not a whole number from 0 to {MAX_SEED}")
    if "example" in query:
        value = _whole(query["example"])
        if value is not None and 0 <= value < examples:
            state.example = value
        else:
            state.problems.append(f"example={query['example']!r} is not a whole number from 0 to {examples - 1}")
    if "models" in query:
        names = [name.strip() for name in query["models"].split(",") if name.strip()]
        if names and all(name in DENOISERS for name in names):
            state.models = tuple(name for name in DENOISERS if name in names)
        else:
            state.problems.append(f"models={query['models']!r} is not a comma-separated list of {', '.join(DENOISERS)}")
    return state


def _whole(text: str) -> int | None:
    text = str(text).strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


# "Copy link": the page's own address with the current settings (and what other parts put there), into the
# clipboard and the address bar (so it can be copied by hand where the clipboard is not allowed). A drawn or uploaded
# digit cannot travel in a URL.
COPY_LINK_JS = """(kind, strength, seed, example, models) => {
  const query = new URLSearchParams(window.location.search); // other parts' settings (the field's set) stay
  Object.entries({kind, strength: String(strength), seed: String(seed)}).forEach(([k, v]) => query.set(k, v));
  query.delete("example");
  query.delete("models");
  if (example !== "" && example !== null) query.set("example", example);
  if (models && models.length && models.length < MODEL_COUNT) query.set("models", models.join(","));
  const url = window.location.origin + window.location.pathname + "?" + query.toString().replace(/%2C/g, ",");
  window.history.replaceState(null, "", url);
  const button = document.querySelector("#copy-link");
  const done = (text) => { if (button) { const old = button.textContent; button.textContent = text;
    setTimeout(() => { button.textContent = old; }, 2500); } };
  const note = (example === "" || example === null) ? " (noise settings only: a drawing is not in it)" : "";
  if (navigator.clipboard) {
    navigator.clipboard.writeText(url).then(() => done("✓ Copied" + note), () => done("✓ In the address bar"));
  } else {
    done("✓ In the address bar");
  }
  return [];
}""".replace("MODEL_COUNT", str(len(DENOISERS)))
