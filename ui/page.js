() => {
  // What the whole page needs for screen readers (WCAG 2.2 AA), run once on load.
  //
  // 1. One polite live region. The headline is re-rendered with every update, and a region that is replaced is
  //    not announced, so its text is copied here: at most once a second (the latest text wins), as drawing
  //    sends many updates. The Generate, Train and field parts are announced when they end.
  // 2. Gradio 6.31 marks the placeholder of an empty plot or file with aria-label on a plain div, which ARIA
  //    does not allow (axe: aria-prohibited-attr); as an image its label is read.
  // 3. Gradio 6.31 names each radio button of a group differently ("radio-1", "radio-2", ...), so the browser
  //    does not take them for a group: the arrows do not move the choice. One name per component mends it.
  const region = document.createElement("div");
  region.id = "announcer";
  region.className = "visually-hidden";
  region.setAttribute("aria-live", "polite");
  region.setAttribute("role", "status");
  document.body.append(region);
  const ENDS = {  // a part's status element, and what its text says when the part has finished
    "#headline": /./,
    "#generate-status": /digits in \d+ steps|Sorry|failed/i,
    "#train-status": /Done|stopped|failed|Sorry/i,
    "#field-status": /Done|stopped|failed|Sorry/i,
  };
  const seen = {};
  let pending = null, timer = null, last = 0;
  const say = (text) => {
    pending = text;
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      last = performance.now();
      region.textContent = pending;
      region.dataset.announced = String(Number(region.dataset.announced || 0) + 1);
    }, Math.max(0, last + 1000 - performance.now()));
  };
  let queued = false;
  const look = () => {
    queued = false;
    for (const [selector, end] of Object.entries(ENDS)) {
      const text = document.querySelector(selector)?.textContent.trim() || "";
      if (text && text !== seen[selector] && end.test(text)) say(text);
      seen[selector] = text;
    }
    document.querySelectorAll("div.empty[aria-label]:not([role])").forEach((e) => e.setAttribute("role", "img"));
    document.querySelectorAll("input[type=radio]:not([data-grouped])").forEach((input) => {
      const block = input.closest(".block[id]");
      if (block) input.name = `group-${block.id}`;
      input.dataset.grouped = "";
    });
  };
  look();
  new MutationObserver(() => {
    if (!queued) { queued = true; requestAnimationFrame(look); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
