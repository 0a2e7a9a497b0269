// The drawing canvas (runs as gr.HTML's js_on_load: `element`, `props` and `trigger` come from Gradio).
//
// Strokes are kept as lists of points in [0, 1] coordinates, so undo redraws the rest and the picture
// is sharp at any screen size. The value sent to the server is the drawing rendered into a small
// SEND x SEND canvas, white ink on transparent, as a PNG data URL (a few hundred bytes): setting
// props.value fires the component's change event. It is sent on every pointer-up and, at most every
// THROTTLE_MS, while a stroke is being drawn, so the reconstruction forms as the digit does.
const SEND = 112; // pixels a side of the image sent: 4x MNIST's 28, enough for its crop-and-scale recipe
const THROTTLE_MS = 120;
const PEN = 0.075; // stroke width as a share of the canvas side (an MNIST-like pen for a digit filling it)
const ERASER = 0.16;

const canvas = element.querySelector("canvas");
const box = element.querySelector(".sketch-box"); // carries the state classes (the CSS is scoped below the root)
const context = canvas.getContext("2d");
const buttons = Object.fromEntries([...element.querySelectorAll("button[data-tool]")].map((b) => [b.dataset.tool, b]));
let strokes = [];
let current = null;
let tool = "pen";
let lastSent = 0;
let pending = null;

function paint(target, side, list) {
  target.clearRect(0, 0, side, side);
  target.lineCap = "round";
  target.lineJoin = "round";
  for (const stroke of list) {
    target.globalCompositeOperation = stroke.erase ? "destination-out" : "source-over";
    target.strokeStyle = "#fff";
    target.fillStyle = "#fff";
    target.lineWidth = (stroke.erase ? ERASER : PEN) * side;
    const [x0, y0] = stroke.points[0];
    if (stroke.points.length === 1) {
      // a tap is a dot
      target.beginPath();
      target.arc(x0 * side, y0 * side, target.lineWidth / 2, 0, 2 * Math.PI);
      target.fill();
      continue;
    }
    target.beginPath();
    target.moveTo(x0 * side, y0 * side);
    for (const [x, y] of stroke.points.slice(1)) target.lineTo(x * side, y * side);
    target.stroke();
  }
  target.globalCompositeOperation = "source-over";
}

function resize() {
  // The backing store is square and follows the shown size times the screen's pixel ratio, so strokes stay
  // crisp and land under the pointer. Both sides are checked: a new canvas is 300x150, and at 300 CSS px and
  // density 1 its width already matched, which left it 150 high and drew every stroke stretched twice downwards.
  const side = Math.max(1, Math.round(canvas.getBoundingClientRect().width * (window.devicePixelRatio || 1)));
  if (canvas.width !== side || canvas.height !== side) {
    canvas.width = side;
    canvas.height = side;
  }
  redraw();
}

function watchDensity() {
  // the pixel ratio changes without the box changing (browser zoom, a window moved to another screen)
  matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`).addEventListener(
    "change",
    () => {
      resize();
      watchDensity();
    },
    { once: true },
  );
}

function redraw() {
  paint(context, canvas.width, current ? [...strokes, current] : strokes);
  box.classList.toggle("empty", strokes.length === 0 && !current);
  buttons.undo.disabled = strokes.length === 0;
  buttons.clear.disabled = strokes.length === 0;
}

function hasInk() {
  return strokes.some((stroke) => !stroke.erase) || (current && !current.erase);
}

function send() {
  clearTimeout(pending);
  pending = null;
  lastSent = performance.now();
  if (!hasInk()) {
    props.value = "";
    return;
  }
  const small = document.createElement("canvas");
  small.width = small.height = SEND;
  paint(small.getContext("2d"), SEND, current ? [...strokes, current] : strokes);
  props.value = small.toDataURL("image/png");
  document.dispatchEvent(new CustomEvent("dae-drawn"));
}

function sendSoon() {
  // throttled while drawing: at once if the last send is old enough, else once the interval is over
  const wait = THROTTLE_MS - (performance.now() - lastSent);
  if (wait <= 0) send();
  else if (!pending) pending = setTimeout(send, wait);
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
}

canvas.addEventListener("pointerdown", (event) => {
  if (event.button !== 0 && event.pointerType === "mouse") return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  current = { erase: tool === "eraser", points: [point(event)] };
  redraw();
});

canvas.addEventListener("pointermove", (event) => {
  if (!current) return;
  event.preventDefault();
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const each of events.length ? events : [event]) current.points.push(point(each));
  redraw();
  sendSoon();
});

function finish(event) {
  if (!current) return;
  event.preventDefault();
  strokes.push(current);
  current = null;
  redraw();
  send();
}
canvas.addEventListener("pointerup", finish);
canvas.addEventListener("pointercancel", finish);
// no page scrolling, zooming or text selection while drawing with a finger or a pen
for (const name of ["touchstart", "touchmove"]) {
  canvas.addEventListener(name, (event) => event.preventDefault(), { passive: false });
}

function choose(name) {
  tool = name;
  buttons.pen.setAttribute("aria-pressed", String(name === "pen"));
  buttons.eraser.setAttribute("aria-pressed", String(name === "eraser"));
  box.classList.toggle("erasing", name === "eraser");
}

function undo() {
  if (!strokes.length) return;
  strokes.pop();
  redraw();
  send();
}

function clear() {
  if (!strokes.length) return;
  strokes = [];
  redraw();
  send();
}

buttons.pen.addEventListener("click", () => choose("pen"));
buttons.eraser.addEventListener("click", () => choose("eraser"));
buttons.undo.addEventListener("click", undo);
buttons.clear.addEventListener("click", clear);
element.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "z") {
    event.preventDefault();
    undo();
  }
});

// Another input took over (an example, an upload): wipe the drawing without sending anything.
document.addEventListener("dae-input", () => {
  strokes = [];
  current = null;
  redraw();
});

new ResizeObserver(resize).observe(canvas);
window.addEventListener("resize", resize); // a window resize or a phone's rotation
watchDensity();
choose("pen");
resize();
