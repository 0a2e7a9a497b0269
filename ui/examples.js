// The strip of example digits (gr.HTML's js_on_load). A click sends a select event with the example's
// index; the value is the index on view ("" for none), set here on a click and by the server otherwise,
// so the highlighted example is always the digit in the panels.
const tiles = [...element.querySelectorAll("button[data-index]")];

function mark() {
  for (const tile of tiles) tile.setAttribute("aria-pressed", String(tile.dataset.index === String(props.value)));
}

for (const tile of tiles) {
  tile.addEventListener("click", () => {
    const index = Number(tile.dataset.index);
    props.value = String(index);
    mark();
    document.dispatchEvent(new CustomEvent("dae-input")); // the canvas clears: it no longer shows the digit on view
    trigger("select", { index, value: index, selected: true });
  });
}
// a stroke on the canvas replaces the example on view
document.addEventListener("dae-drawn", () => {
  props.value = "";
  mark();
});
watch("value", mark);
mark();
