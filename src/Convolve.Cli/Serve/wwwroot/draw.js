// The Draw page: a drawing pad, the model's view of the drawing, its probabilities and every
// layer's feature maps. The server frames the drawing, runs the model and explains values; this
// file only draws strokes, sends the drawing, and shows what comes back.
import { api, showError, diverging, gray, drawGrid, limitOf, formatNumber, el } from "/static/common.js";

const GRID = 112;            // the drawing is sent as a GRID x GRID gray grid (each value the mean of a block of the pad)
const STROKE = 24;           // pen width on the 336-pixel pad: about MNIST's stroke once the digit is scaled to 20 pixels
const MAP_PIXELS = 78;       // about how wide each feature map is shown

const pad = document.getElementById("pad");
const context = pad.getContext("2d", { willReadFrequently: true });
const select = document.getElementById("model");
const note = document.getElementById("model-note");
const error = document.getElementById("error");
const bars = document.getElementById("bars");
const layersBox = document.getElementById("layers");
const input28 = document.getElementById("input28");
const field = document.getElementById("field");
const fieldInput = document.getElementById("field-input");
const fieldBox = document.getElementById("field-box");
const explanation = document.getElementById("explanation");
const timing = document.getElementById("timing");

// For the page's tests and anyone curious: the last answer and how long each update took.
const state = { last: null, drawing: null, timings: [], updates: 0, busy: false, refresh: () => update() };
window.convolveDraw = state;

let inked = false, drawing = false, lastPoint = null, activePointer = null;
let inFlight = false, pending = false, strokeEnd = null;
// The map canvases stay from one answer to the next while the layers keep their shapes; only their pixels are redrawn.
let layersKey = null, mapCanvases = [];
// The value last clicked ({layer, channel, y, x}): explained again for every new answer while the layers stay the same.
let chosen = null;

function clearPad() {
  context.fillStyle = "black";
  context.fillRect(0, 0, pad.width, pad.height);
  inked = false;
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

function stroke(from, to) {
  context.strokeStyle = "white";
  context.fillStyle = "white";
  context.lineWidth = STROKE;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.beginPath();
  context.moveTo(from[0], from[1]);
  context.lineTo(to[0], to[1]);
  context.stroke();
  inked = true;
}

pad.addEventListener("pointerdown", event => {
  event.preventDefault();
  if (drawing) return; // a second finger does not start another stroke
  activePointer = event.pointerId;
  try { pad.setPointerCapture(event.pointerId); } catch { /* a pointer already lifted cannot be captured; the stroke still draws */ }
  drawing = true;
  lastPoint = point(event);
  stroke(lastPoint, lastPoint);
});
pad.addEventListener("pointermove", event => {
  if (!drawing || event.pointerId !== activePointer) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of events.length ? events : [event]) {
    const next = point(e);
    stroke(lastPoint, next);
    lastPoint = next;
  }
  update(); // while drawing: one request at a time, the next one sent when it returns
});
function endStroke(event) {
  if (!drawing || event.pointerId !== activePointer) return;
  drawing = false;
  strokeEnd = performance.now();
  update();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  state.last = null;
  state.drawing = null;
  bars.replaceChildren(el("li", { class: "muted", text: "Draw a digit to see them." }));
  layersBox.replaceChildren();
  layersKey = null;
  chosen = null;
  blankInputs();
  explanation.replaceChildren("Click any value of a feature map.");
  timing.textContent = "";
});
select.addEventListener("change", () => update());

/** The pad as a GRID x GRID grid of 0..1 values, each the mean brightness of a block of the pad. */
function readDrawing() {
  const block = pad.width / GRID;
  const data = context.getImageData(0, 0, pad.width, pad.height).data;
  const pixels = new Array(GRID * GRID);
  for (let gy = 0; gy < GRID; gy++) {
    for (let gx = 0; gx < GRID; gx++) {
      let total = 0;
      for (let y = gy * block; y < (gy + 1) * block; y++)
        for (let x = gx * block; x < (gx + 1) * block; x++) total += data[4 * (y * pad.width + x)];
      pixels[gy * GRID + gx] = Math.round(1000 * total / (255 * block * block)) / 1000;
    }
  }
  return { width: GRID, height: GRID, pixels };
}

/** Sends the drawing, unless a request is on its way (then once more when it returns). */
async function update() {
  if (!inked || !select.value) return;
  if (inFlight) { pending = true; state.busy = true; return; }
  inFlight = true;
  pending = false;
  state.busy = true;
  const started = performance.now();
  const afterStroke = strokeEnd !== null && !drawing ? strokeEnd : null;
  try {
    const drawn = readDrawing();
    const read = performance.now();
    const answer = await api("/api/draw/predict", { model: select.value, ...drawn });
    const fetched = performance.now();
    state.drawing = drawn;
    state.last = answer;
    show(answer);
    showError(error, null);
    const ended = performance.now();
    const entry = { read: read - started, fetch: fetched - read, draw: ended - fetched, fetchAndDraw: ended - started,
      sinceStroke: afterStroke === null ? null : ended - afterStroke };
    state.timings.push(entry);
    state.updates++;
    timing.textContent = `updated in ${Math.round(entry.fetchAndDraw)} ms`;
    if (afterStroke !== null && strokeEnd === afterStroke) strokeEnd = null;
  } catch (e) {
    showError(error, e);
  } finally {
    inFlight = false;
    state.busy = pending;
    if (pending) update();
  }
}

function show(answer) {
  const size = answer.inputSize;
  for (const canvas of [input28, fieldInput]) drawGrid(canvas, answer.input28, size, size, 1, v => gray(v));
  document.getElementById("input-caption").textContent = `What the model sees: ${size}x${size}`;
  field.hidden = fieldBox.hidden = true;
  showBars(answer);
  const sameLayers = showLayers(answer);
  if (chosen && sameLayers) explain(chosen.layer, chosen.channel, chosen.y, chosen.x);
  else {
    chosen = null;
    explanation.replaceChildren(answer.note ?? "Click any value of a feature map.");
  }
}

function blankInputs() {
  for (const canvas of [input28, fieldInput]) drawGrid(canvas, new Array(28 * 28).fill(0), 28, 28, 1, v => gray(v));
  field.hidden = fieldBox.hidden = true;
}

function showBars(answer) {
  bars.replaceChildren(...answer.probabilities.map((p, i) => {
    const item = el("li", { class: i === answer.best ? "best" : "", "aria-label": `class ${answer.classes[i]}: ${formatNumber(100 * p)}%` },
      el("span", { text: answer.classes[i] }),
      el("span", { class: "bar", style: `width: ${Math.max(1, Math.round(160 * p))}px` }),
      el("span", { text: `${(100 * p).toFixed(1)}%` }));
    return item;
  }));
}

/** A layer's maps: the server sends them as little-endian 32-bit floats in base64. */
function floatsOf(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

function showLayers(answer) {
  for (const layer of answer.layers) layer.maps = floatsOf(layer.values);
  const key = answer.model + " " + answer.layers.map(l => `${l.index}:${l.shape.join("x")}:${l.shownChannels}`).join(",");
  const same = key === layersKey;
  if (!same) buildLayers(answer.layers, key);
  answer.layers.forEach((layer, i) => {
    const [, height, width] = layer.shape;
    const limit = limitOf(layer.maps);
    mapCanvases[i].forEach((canvas, c) =>
      drawGrid(canvas, layer.maps.subarray(c * height * width, (c + 1) * height * width), height, width, 1, v => diverging(v, limit)));
  });
  return same;
}

function buildLayers(layers, key) {
  layersKey = key;
  mapCanvases = [];
  layersBox.replaceChildren(...layers.map(layer => {
    const [channels, height, width] = layer.shape;
    const cell = Math.max(1, Math.round(MAP_PIXELS / Math.max(height, width)));
    const maps = el("div", { class: "maps" });
    const canvases = [];
    for (let c = 0; c < layer.shownChannels; c++) {
      const canvas = el("canvas", { class: "map", width: String(width), height: String(height), tabindex: "0",
        "aria-label": `${layer.name} map ${c}: click a value to see where it comes from`, "data-layer": layer.index, "data-channel": c });
      canvas.style.width = `${width * cell}px`;
      canvas.style.height = `${height * cell}px`;
      const choose = (y, x) => {
        for (const other of layersBox.querySelectorAll("canvas.chosen")) other.classList.remove("chosen");
        canvas.classList.add("chosen");
        chosen = { layer: layer.index, channel: c, y, x };
        explain(layer.index, c, y, x);
      };
      canvas.addEventListener("click", event => {
        const box = canvas.getBoundingClientRect();
        choose(Math.min(height - 1, Math.floor((event.clientY - box.top) * height / box.height)),
          Math.min(width - 1, Math.floor((event.clientX - box.left) * width / box.width)));
      });
      // From the keyboard: Enter explains the map's centre.
      canvas.addEventListener("keydown", event => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(Math.floor(height / 2), Math.floor(width / 2)); }
      });
      canvases.push(canvas);
      maps.append(el("figure", {}, canvas, el("figcaption", { text: String(c) })));
    }
    mapCanvases.push(canvases);
    const more = channels > layer.shownChannels ? ` (the first ${layer.shownChannels} shown)` : "";
    return el("div", { class: "layer" },
      el("h3", { text: `${layer.name}: ${layer.kind}, ${channels} ${channels === 1 ? "map" : "maps"} ${height}x${width}${more}` }), maps);
  }));
}

async function explain(layer, channel, y, x) {
  if (!state.drawing) return;
  try {
    const answer = await api("/api/draw/explain", { model: select.value, ...state.drawing, layer, channel, y, x });
    showExplanation(answer);
    showError(error, null);
  } catch (e) {
    showError(error, e);
  }
}

function showExplanation(answer) {
  const rf = answer.receptiveField;
  const size = state.last.inputSize;
  for (const box of [field, fieldBox]) {
    Object.assign(box.style, {
      top: `${100 * rf.top / size}%`, left: `${100 * rf.left / size}%`, height: `${100 * rf.height / size}%`, width: `${100 * rf.width / size}%`,
    });
    box.hidden = false;
  }
  const parts = [
    el("p", {}, el("strong", { text: `${answer.name}, map ${answer.channel}, row ${answer.y}, column ${answer.x}: ` }),
      el("span", { id: "clicked-value", "data-value": String(answer.value), text: formatNumber(answer.value) })),
    el("p", { text: `It depends on input rows ${rf.top} to ${rf.top + rf.height - 1} and columns ${rf.left} to ${rf.left + rf.width - 1} `
      + `(${rf.height}x${rf.width}, framed on the input${rf.exact ? "" : "; a layer on the way mixes everything, so the whole input"}).` }),
  ];
  const a = answer.arithmetic;
  if (a) parts.push(...arithmetic(a, answer));
  else parts.push(el("p", { class: "muted", text: "The arithmetic is shown for the first convolution and its ReLU; click one of their maps to see it." }));
  explanation.replaceChildren(...parts);
}

/** The first convolution's sum of products, laid out as in the article: window times kernel, each product, summed, plus bias, through ReLU. */
function arithmetic(a, answer) {
  const [channels, rows, columns] = a.windowShape;
  const grids = el("div", { class: "grids" });
  for (let c = 0; c < channels; c++) {
    const at = c * rows * columns;
    if (channels > 1) grids.append(el("span", { class: "muted", text: `channel ${c}:` }));
    grids.append(numbers(a.window, at, rows, columns, "window"), el("span", { class: "op", text: "×" }),
      numbers(a.kernel, at, rows, columns, "kernel"), el("span", { class: "op", text: "=" }),
      numbers(a.products, at, rows, columns, "products"));
  }
  const terms = a.products.map(formatNumber).join(" + ").replaceAll("+ -", "− ");
  return [
    el("p", { text: `${a.name} at row ${answer.y}, column ${answer.x}: its ${rows}x${columns} window starts at input row ${a.top}, column ${a.left}.` }),
    grids,
    el("p", { class: "steps" }, `sum of the ${a.products.length} products: ${a.products.length <= 27 ? terms + " = " : ""}`,
      el("strong", { id: "sum", "data-value": String(a.sum), text: formatNumber(a.sum) })),
    el("p", { class: "steps" }, `plus bias ${formatNumber(a.bias)}: `,
      el("strong", { id: "pre-activation", "data-value": String(a.preActivation), text: formatNumber(a.preActivation) }),
      ` (the engine's value in ${a.name}: `, el("span", { id: "engine-value", "data-value": String(a.engineValue), text: formatNumber(a.engineValue) }), ")"),
    el("p", { class: "steps" }, `through ReLU, max(0, ${formatNumber(a.preActivation)}) = `,
      el("strong", { id: "after-relu", "data-value": String(a.afterRelu), text: formatNumber(a.afterRelu) })),
  ];
}

function numbers(values, at, rows, columns, caption) {
  const table = el("table", { class: "numbers" }, el("caption", { class: "muted", text: caption }));
  for (let r = 0; r < rows; r++)
    table.append(el("tr", {}, ...Array.from({ length: columns }, (_, c) => el("td", { text: formatNumber(values[at + r * columns + c]) }))));
  return table;
}

/** Fills the model list (keeping the choice); models trained on the Train page appear when the page or the list gets focus again. */
async function loadModels() {
  try {
    const models = await api("/api/models");
    const chosen = select.value;
    select.disabled = models.length === 0;
    if (models.length === 0) {
      select.replaceChildren(el("option", { value: "", text: "no model" }));
      note.textContent = "No model yet: train one with 'convolve train --out digits.cvm' and start 'convolve serve digits.cvm', "
        + "or train one on the Train page.";
      return;
    }
    const names = models.map(m => m.name).join("\n");
    if (names !== [...select.options].map(o => o.value).join("\n"))
      select.replaceChildren(...models.map(m => el("option", { value: m.name, text: `${m.name} (${m.origin})` })));
    if (models.some(m => m.name === chosen)) select.value = chosen;
    note.textContent = "";
  } catch (e) {
    showError(error, e);
  }
}
window.addEventListener("focus", loadModels);
select.addEventListener("focus", loadModels);

clearPad();
blankInputs();
await loadModels();
document.body.dataset.ready = "true";
