// The field lab's canvas (runs as gr.HTML's js_on_load: `element`, `props` and `watch` come from Gradio).
//
// The component's value is a JSON string. The page sets it when the visitor draws ({"points": [[x, y], ...],
// "set": ""}); the server sets it with a built-in set or a training's snapshot, which adds the field r(x) - x at
// every σ of `levels` over a side x side grid, and at the end the samples of the samplers and a few ODE
// trajectories (dae/field.py; arrays packed as base64 int16 thousandths, dae.points.pack). Everything the
// visitor then changes here (σ, what is shown) redraws from that value, with no trip to the server.
const MAX_POINTS = 10000;
const SPRAY = 0.035; // the spread of the points a stroke leaves, in data units ([-1, 1] across the data)
const canvas = element.querySelector("canvas");
const context = canvas.getContext("2d");
const slider = element.querySelector(".field-sigma");
const sigmaText = element.querySelector(".field-sigma-value");
const numbers = element.querySelector(".field-numbers");
const figure = element.querySelector(".field-figure");
const reduced = matchMedia("(prefers-reduced-motion: reduce)");
let state = { points: [], set: "" };
let drawing = false;
let frame = null; // the trajectories' animation: the step shown, or null for the samples
let animation = null;

function unpack(text) {
  if (!text) return new Float32Array(0);
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const ints = new Int16Array(bytes.buffer);
  return Float32Array.from(ints, (v) => v / 1000);
}

function read() {
  let value = {};
  try {
    value = props.value ? JSON.parse(props.value) : {};
  } catch (error) {
    value = {};
  }
  const fresh = value.paths && value.paths !== state.pathsText;
  state = {
    ...value,
    points: value.points || [],
    fieldData: unpack(value.field),
    ode: unpack(value.ode),
    edm: unpack(value.edm),
    pathsText: value.paths,
    paths: unpack(value.paths),
    langevin: Object.fromEntries(Object.entries(value.langevin || {}).map(([k, v]) => [Number(k), unpack(v)])),
  };
  if (state.levels && state.levels.length) slider.max = String(state.levels.length - 1);
  if (fresh) play();
  redraw();
}

function box() {
  return state.box || 1.2;
}

function toScreen(x, y) {
  const side = canvas.width;
  return [((x / box() + 1) / 2) * side, ((1 - y / box()) / 2) * side];
}

function dots(list, colour, radius) {
  context.fillStyle = colour;
  const r = radius * (window.devicePixelRatio || 1);
  for (let i = 0; i + 1 < list.length; i += 2) {
    const [px, py] = toScreen(list[i], list[i + 1]);
    context.fillRect(px - r, py - r, 2 * r, 2 * r);
  }
}

function level() {
  return Math.min(Number(slider.value), Math.max(0, (state.levels || []).length - 1));
}

function arrows() {
  // r(x) - x at the chosen σ: direction from the arrow, strength (|r(x) - x| / σ², the score) from its colour
  const levels = state.levels || [];
  const side = state.side || 0;
  const count = side * side;
  if (!levels.length || state.fieldData.length < levels.length * count * 2) return null;
  const index = level();
  const sigma = levels[index];
  const cell = canvas.width / side;
  const scores = [];
  for (let k = 0; k < count; k++) {
    const at = (index * count + k) * 2;
    scores.push(Math.hypot(state.fieldData[at], state.fieldData[at + 1]) / (sigma * sigma));
  }
  const top = Math.max(...scores, 1e-6);
  context.lineWidth = Math.max(1, (window.devicePixelRatio || 1) * 1.2);
  for (let k = 0; k < count; k++) {
    const at = (index * count + k) * 2;
    const [dx, dy] = [state.fieldData[at], state.fieldData[at + 1]];
    const length = Math.hypot(dx, dy);
    if (length < 1e-6) continue;
    const gx = -box() + (2 * box() * (k % side)) / (side - 1);
    const gy = -box() + (2 * box() * Math.floor(k / side)) / (side - 1);
    const [px, py] = toScreen(gx, gy);
    const strength = Math.sqrt(scores[k] / top); // a square root: weak arrows stay visible
    const reach = cell * 0.45 * (0.35 + 0.65 * strength);
    const [ux, uy] = [dx / length, -dy / length];
    context.strokeStyle = `hsl(${220 - 200 * strength}, 80%, ${62 - 22 * strength}%)`;
    const [tx, ty] = [px + ux * reach, py + uy * reach];
    const head = Math.max(3, reach * 0.35);
    context.beginPath();
    context.moveTo(px, py);
    context.lineTo(tx, ty);
    for (const turn of [0.45, -0.45]) {
      // the head: two short strokes back from the tip, each turned from the shaft
      const [cos, sin] = [Math.cos(turn), Math.sin(turn)];
      context.moveTo(tx, ty);
      context.lineTo(tx - head * (ux * cos - uy * sin), ty - head * (uy * cos + ux * sin));
    }
    context.stroke();
  }
  return { sigma, count };
}

function sampler() {
  return element.querySelector("input[name=field-sampler]:checked")?.value || "edm";
}

function langevinNearest() {
  const keys = Object.keys(state.langevin).map(Number);
  if (!keys.length) return null;
  const nearest = keys.reduce((a, b) => (Math.abs(b - level()) < Math.abs(a - level()) ? b : a));
  return nearest;
}

function redraw() {
  const side = Math.max(1, Math.round(canvas.getBoundingClientRect().width * (window.devicePixelRatio || 1)));
  if (canvas.width !== side || canvas.height !== side) canvas.width = canvas.height = side;
  context.fillStyle = "#0b1020";
  context.fillRect(0, 0, side, side);
  const show = (name) => element.querySelector(`input[data-show=${name}]`)?.checked;
  const flat = state.points.flat();
  if (show("points")) dots(flat, "rgba(156, 163, 175, 0.75)", 1);
  const field = show("arrows") ? arrows() : null;
  let drawn = 0;
  const which = sampler();
  if ((which === "ode" || which === "edm") && state[which].length) {
    if (frame === null) {
      dots(state[which], which === "ode" ? "rgba(96, 165, 250, 0.9)" : "rgba(52, 211, 153, 0.9)", 1);
      drawn = state[which].length / 2;
    }
  } else if (which === "langevin" && langevinNearest() !== null) {
    const chain = state.langevin[langevinNearest()];
    dots(chain, "rgba(250, 204, 21, 0.85)", 1);
    drawn = chain.length / 2;
  }
  if (frame !== null) trajectories(frame);
  const levels = state.levels || [];
  const sigma = levels.length ? levels[level()] : null;
  sigmaText.textContent = sigma === null ? "" : `σ = ${sigma < 0.1 ? sigma.toFixed(3) : sigma.toFixed(2)}`;
  figure.dataset.points = String(state.points.length);
  figure.dataset.arrows = String(field ? field.count : 0);
  figure.dataset.samples = String(drawn);
  figure.dataset.sigma = sigma === null ? "" : String(sigma);
  figure.dataset.drawnAt = String(performance.now());
  canvas.setAttribute("aria-label", describe(field, drawn, which));
  writeNumbers();
}

function describe(field, drawn, which) {
  const parts = [`${state.points.length.toLocaleString("en")} data points`];
  if (field) parts.push(`arrows of r(x) − x at σ ${field.sigma}`);
  if (drawn) parts.push(`${drawn.toLocaleString("en")} samples by ${SAMPLERS[which]}`);
  return "The 2-D field: " + parts.join(", ") + ". Draw on it to add points.";
}

const SAMPLERS = { edm: "EDM's stochastic sampler", ode: "the ODE sampler", langevin: "Langevin" };

function writeNumbers() {
  const m = state.metrics;
  if (!m) {
    numbers.textContent = state.points.length ? "" : "Pick a set or draw points, then press Train.";
    delete figure.dataset.energy;
    return;
  }
  const times = (distance) => `${(distance / m.floor).toFixed(1)}× the floor`;
  let text =
    `EDM samples: energy distance ${m.energy_distance.toFixed(4)} to ${m.scored_against} ` +
    `(${times(m.energy_distance)}; the floor, fresh data against it: ${m.floor.toFixed(4)}). ` +
    `ODE: ${m.ode_energy_distance.toFixed(4)} (${times(m.ode_energy_distance)}).`;
  const nearest = langevinNearest();
  if (nearest !== null && state.levels) {
    const key = Object.keys(m.langevin_energy_distance).find((k) => Math.abs(Number(k) - state.levels[nearest]) < 1e-9);
    if (key) text += ` Langevin at σ ${Number(key).toFixed(3)}: ${m.langevin_energy_distance[key].toFixed(4)}.`;
  }
  if (m.heavy_share_samples !== undefined) {
    const share = (x) => `${(100 * x).toFixed(0)}%`;
    text += ` Heavy mode: ${share(m.heavy_share_samples)} of the EDM samples, ${share(m.heavy_share_ode)} of the ODE's, ${share(m.heavy_share_data)} of the data.`;
  }
  numbers.textContent = text;
  figure.dataset.energy = String(m.energy_distance);
  figure.dataset.floor = String(m.floor);
}

function trajectories(step) {
  const kept = state.kept || 0;
  const steps = kept ? state.paths.length / (2 * kept) : 0;
  context.lineWidth = Math.max(1, (window.devicePixelRatio || 1) * 1.5);
  for (let j = 0; j < kept; j++) {
    context.strokeStyle = `hsl(${(j * 45) % 360}, 85%, 65%)`;
    context.beginPath();
    for (let t = 0; t <= Math.min(step, steps - 1); t++) {
      const at = (t * kept + j) * 2;
      const [px, py] = toScreen(state.paths[at], state.paths[at + 1]);
      if (t === 0) context.moveTo(px, py);
      else context.lineTo(px, py);
    }
    context.stroke();
  }
}

function play() {
  // a few ODE samples' way from noise to data, over about two seconds; at once with reduced motion
  clearInterval(animation);
  const kept = state.kept || 0;
  const steps = kept ? state.paths.length / (2 * kept) : 0;
  if (!steps || reduced.matches) {
    frame = null;
    return;
  }
  frame = 0;
  animation = setInterval(() => {
    frame += 1;
    if (frame >= steps + 8) {
      clearInterval(animation);
      frame = null;
    }
    redraw();
  }, 60);
}

function pointAt(event) {
  const rect = canvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * 2 - 1;
  const y = 1 - ((event.clientY - rect.top) / rect.height) * 2;
  return [x * box(), y * box()];
}

function spray(event) {
  // a few points around the pointer, in [-1, 1]: a stroke leaves a band of data
  const [x, y] = pointAt(event);
  for (let k = 0; k < 3 && state.points.length < MAX_POINTS; k++) {
    const r = SPRAY * Math.sqrt(-2 * Math.log(Math.random() + 1e-9));
    const a = 2 * Math.PI * Math.random();
    const px = Math.max(-1, Math.min(1, x + r * Math.cos(a)));
    const py = Math.max(-1, Math.min(1, y + r * Math.sin(a)));
    state.points.push([Math.round(px * 1000) / 1000, Math.round(py * 1000) / 1000]);
  }
}

function send() {
  // the drawn points become the data; the old field and samples no longer belong to them
  props.value = JSON.stringify({ points: state.points, set: "", box: box() });
}

canvas.addEventListener("pointerdown", (event) => {
  if (event.button !== 0 && event.pointerType === "mouse") return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  drawing = true;
  if (state.set) state.points = []; // drawing replaces a built-in set, and what was learnt from it
  state = { ...state, set: "", fieldData: new Float32Array(0), ode: new Float32Array(0), edm: new Float32Array(0), langevin: {} };
  state.metrics = undefined;
  spray(event);
  redraw();
});
canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  event.preventDefault();
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const each of events.length ? events : [event]) spray(each);
  redraw();
});
function finish(event) {
  if (!drawing) return;
  event.preventDefault();
  drawing = false;
  send();
}
canvas.addEventListener("pointerup", finish);
canvas.addEventListener("pointercancel", finish);
for (const name of ["touchstart", "touchmove"]) {
  canvas.addEventListener(name, (event) => event.preventDefault(), { passive: false });
}
element.querySelector("button[data-tool=clear]").addEventListener("click", () => {
  state = { ...state, points: [], set: "", fieldData: new Float32Array(0), ode: new Float32Array(0), edm: new Float32Array(0), langevin: {} };
  state.metrics = undefined;
  send();
  redraw();
});
element.querySelector("button[data-tool=play]").addEventListener("click", play);
slider.addEventListener("input", redraw);
for (const input of element.querySelectorAll("input[type=checkbox], input[type=radio]")) {
  input.addEventListener("change", redraw);
}
watch("value", read);
new ResizeObserver(redraw).observe(canvas);
read();
