// The Train page: a form that starts, stops and resumes runs on the server, and live views of the
// run fed by Server-Sent Events (GET /api/train/events: the whole state first, then each batch
// point, epoch record and filter update). Every number shown comes from the server; this file
// only fetches, draws and formats.
import { api, showError, diverging, drawGrid, formatNumber, el } from "./common.js";

const $ = id => document.getElementById(id);
const form = $("settings"), errorLine = $("error"), statusLine = $("status");
const startButton = $("start"), stopButton = $("stop"), resumeButton = $("resume"), resumable = $("resumable");
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 520, HEIGHT = 220, LEFT = 46, RIGHT = 14, TOP = 10, BOTTOM = 30;

let options = null;
let state = null;          // the server's latest state, with the events since added to it
let requesting = false;    // a start, stop or resume is on its way
let chartsPending = false;
let rateEdited = false;

const percent = value => value == null ? "–" : `${formatNumber(value * 100)}%`;
const count = value => Number(value).toLocaleString("en");
const running = () => state && (state.status === "running" || state.status === "stopping");

async function init() {
  options = await api("/api/train/options");
  fillSelect($("architecture"), options.architectures.map(a => ({ value: a.name, text: a.name })));
  fillSelect($("data"), options.dataSets.map(d => ({ value: d.name, text: d.available ? d.name : `${d.name} (not on this machine)`, disabled: !d.available })));
  fillSelect($("optimizer"), options.optimizers.map(o => ({ value: o.name, text: o.name })));
  const d = options.defaults, limits = options.limits;
  for (const name of ["architecture", "data", "optimizer", "epochs", "learningRate", "batchSize", "limit", "seed"]) $(name).value = d[name];
  setRange("epochs", limits.epochs.min, limits.epochs.max);
  setRange("batchSize", limits.batchSize.min, limits.batchSize.max);
  setRange("limit", limits.limit.min, limits.limit.max);
  $("learningRate").max = limits.learningRate.max;
  $("learningRate").min = limits.learningRate.above;
  $("validation-note").textContent = `${formatNumber(options.validation * 100)}% of the training images are held out to validate each epoch; ` +
    "the test images are evaluated when the run finishes.";
  describeChoices();
  $("architecture").addEventListener("change", describeChoices);
  $("data").addEventListener("change", describeChoices);
  $("learningRate").addEventListener("input", () => { rateEdited = true; });
  $("optimizer").addEventListener("change", () => {
    const optimizer = options.optimizers.find(o => o.name === $("optimizer").value);
    if (optimizer && !rateEdited) $("learningRate").value = optimizer.defaultLearningRate;
  });
  form.addEventListener("submit", event => { event.preventDefault(); send("/api/train/start", readForm()); });
  stopButton.addEventListener("click", () => send("/api/train/stop", {}));
  resumeButton.addEventListener("click", () => send("/api/train/resume", { run: resumable.value }));
  adopt(await api("/api/train/state"));
  listen();
}

function fillSelect(select, items) {
  select.replaceChildren(...items.map(item => {
    const option = el("option", { value: item.value, text: item.text });
    option.disabled = !!item.disabled;
    return option;
  }));
}

function setRange(id, min, max) {
  $(id).min = min;
  $(id).max = max;
}

function describeChoices() {
  const architecture = options.architectures.find(a => a.name === $("architecture").value);
  const data = options.dataSets.find(d => d.name === $("data").value);
  $("architecture-note").textContent = architecture ? architecture.description : "";
  $("data-note").textContent = data ? data.note : "";
}

// The form as the server reads it; an empty box is sent as it is, so the server's message names it.
function readForm() {
  const number = id => $(id).value.trim() === "" ? null : Number($(id).value);
  return {
    architecture: $("architecture").value, data: $("data").value, optimizer: $("optimizer").value,
    epochs: number("epochs"), learningRate: number("learningRate"), batchSize: number("batchSize"), limit: number("limit"), seed: number("seed"),
  };
}

async function send(path, body) {
  requesting = true;
  updateButtons();
  showError(errorLine, null);
  try {
    adopt(await api(path, body));
  } catch (error) {
    showError(errorLine, error);
  } finally {
    requesting = false;
    updateButtons();
  }
}

function listen() {
  const source = new EventSource("/api/train/events");
  const ours = run => state && run === state.run;
  source.addEventListener("state", event => adopt(JSON.parse(event.data)));
  source.addEventListener("batch", event => {
    const point = JSON.parse(event.data);
    if (!ours(point.run)) return;
    state.points.push(point);
    renderStatus(point);
    drawChartsSoon();
  });
  source.addEventListener("epoch", event => {
    const epoch = JSON.parse(event.data);
    if (!ours(epoch.run) || state.epochs.some(r => r.epoch === epoch.record.epoch)) return;
    state.epochs.push(epoch.record);
    state.completedEpochs = epoch.record.epoch;
    renderEpochs();
    drawChartsSoon();
  });
  source.addEventListener("filters", event => {
    const filters = JSON.parse(event.data);
    if (!ours(filters.run)) return;
    state.filters = filters;
    renderFilters();
  });
  source.addEventListener("warning", event => {
    const warning = JSON.parse(event.data);
    if (!ours(warning.run)) return;
    state.warnings.push(warning);
    renderWarnings();
  });
  source.addEventListener("open", () => { if (statusLine.dataset.lost) { delete statusLine.dataset.lost; renderStatus(); } });
  source.addEventListener("error", () => {
    statusLine.dataset.lost = "1";
    statusLine.textContent = "The connection to the server is lost; reconnecting…";
  });
}

// A whole state from the server. The same run's points, epochs or filters already received from
// events are kept when the state was taken before them (a start's answer can arrive after its first events).
function adopt(next) {
  if (state && next.run && next.run === state.run) {
    if (next.points.length < state.points.length) next.points = state.points;
    if (next.epochs.length < state.epochs.length) next.epochs = state.epochs;
    if (!next.filters) next.filters = state.filters;
  }
  state = next;
  render();
}

function render() {
  renderStatus();
  renderEpochs();
  renderFilters();
  renderResult();
  renderWarnings();
  renderResumable();
  drawCharts();
  updateButtons();
}

function renderStatus(point = state.points[state.points.length - 1]) {
  if (statusLine.dataset.lost) return;
  const s = state.settings;
  let text = state.run ? `${state.run}: ${state.message}` : state.message;
  if (state.status === "running" && point && s) {
    text = `${state.run}: epoch ${point.epoch} of ${s.epochs}, batch ${count(point.batch)} of ${count(point.batchCount)}, ` +
      `${count(Math.round(point.imagesPerSecond))} images/s; loss ${formatNumber(point.epochLoss)}, accuracy ${percent(point.epochAccuracy)} so far this epoch`;
  }
  statusLine.textContent = text;
  $("command").textContent = s
    ? `${s.architecture} on ${s.data}: ${count(state.trainImages)} training and ${count(state.validationImages)} validation images per epoch. ` +
      `The same run on the command line: ${s.commandLine}`
    : "";
}

function renderEpochs() {
  const body = $("epochs-table").tBodies[0];
  body.replaceChildren(...state.epochs.map(r => el("tr", {},
    el("td", { text: String(r.epoch) }), el("td", { text: formatNumber(r.trainLoss) }), el("td", { text: percent(r.trainAccuracy) }),
    el("td", { text: r.validationLoss == null ? "–" : formatNumber(r.validationLoss) }), el("td", { text: percent(r.validationAccuracy) }),
    el("td", { text: formatNumber(r.seconds) }))));
}

function renderFilters() {
  const filters = state.filters, box = $("filters");
  if (!filters) {
    box.replaceChildren();
    $("filters-caption").textContent = state.run ? "None yet." : "None yet: start a run.";
    $("scale").textContent = "";
    return;
  }
  const { count: n, channels, height, width, limit, values } = filters;
  const size = channels * height * width;
  const cell = Math.max(2, Math.floor(48 / Math.max(height, width)));
  while (box.children.length > n) box.lastChild.remove();
  while (box.children.length < n) {
    const i = box.children.length;
    box.append(el("canvas", { role: "img", "aria-label": `filter ${i + 1}`, title: `filter ${i + 1}` }));
  }
  [...box.children].forEach((canvas, i) =>
    drawGrid(canvas, values.subarray ? values.subarray(i * size, (i + 1) * size) : values.slice(i * size, (i + 1) * size),
      channels * height, width, cell, v => diverging(v, limit)));
  const when = filters.batch < 0 ? `after epoch ${filters.epoch}` : `epoch ${filters.epoch}, after batch ${count(filters.batch)}`;
  $("filters-caption").textContent = `The ${filters.layer}, ${when}.`;
  $("scale").textContent = `Blue is negative, white zero, red positive; full colour at ±${formatNumber(limit)}.`;
}

function renderResult() {
  const result = $("result");
  if (state.status !== "finished") {
    result.className = "muted";
    result.textContent = state.status === "failed" ? state.message : "The test accuracy and the trained model appear here when the run finishes.";
    return;
  }
  result.className = "";
  result.replaceChildren(
    `Test accuracy ${percent(state.testAccuracy)} on ${count(state.testImages)} images (loss ${formatNumber(state.testLoss)}). The model `,
    el("strong", { id: "trained-model", text: state.model }),
    " is served now: ", el("a", { href: "/draw", text: "draw a digit for it" }), `. Saved as ${state.savedModel}.`);
}

function renderWarnings() {
  $("warnings").replaceChildren(...state.warnings.map(w => el("li", { text: w.text })));
}

function renderResumable() {
  const previous = resumable.value;
  fillSelect(resumable, state.resumable.length === 0
    ? [{ value: "", text: "none" }]
    : state.resumable.map(r => ({ value: r.run, text: `${r.run}: ${r.architecture} on ${r.data}, ${r.completedEpochs} of ${r.epochs} epochs done` })));
  if (state.resumable.some(r => r.run === previous)) resumable.value = previous;
}

function updateButtons() {
  const busy = requesting || running();
  startButton.disabled = busy;
  stopButton.disabled = requesting || !state || state.status !== "running";
  resumeButton.disabled = busy || !state || state.resumable.length === 0;
  resumable.disabled = !state || state.resumable.length === 0;
}

function drawChartsSoon() {
  if (chartsPending) return;
  chartsPending = true;
  requestAnimationFrame(() => { chartsPending = false; drawCharts(); });
}

function drawCharts() {
  const epochs = state.settings ? state.settings.epochs : 1;
  const finite = v => v != null && Number.isFinite(v);
  // The loss axis ends above the epochs' values and nearly all points: the first steps' spikes are clipped at the top
  // rather than squeezing the rest of the curve into a line.
  const losses = state.points.map(p => p.loss).filter(finite).sort((a, b) => a - b);
  let top = losses.length === 0 ? 0 : losses.length < 20 ? losses[losses.length - 1] : losses[Math.floor(0.95 * (losses.length - 1))];
  for (const r of state.epochs) for (const v of [r.trainLoss, r.validationLoss]) if (finite(v)) top = Math.max(top, v);
  drawChart($("loss-chart"), epochs, top > 0 ? top * 1.05 : 1, "loss", "trainLoss", "validationLoss", formatNumber);
  drawChart($("accuracy-chart"), epochs, 1, "accuracy", "trainAccuracy", "validationAccuracy", percent);
}

// One chart: x from 0 to the run's epochs, y from 0 to top; the batch points as a line, each epoch's
// training and validation values as dots joined by lines.
function drawChart(svg, epochs, top, pointKey, trainKey, validationKey, format) {
  const x = e => LEFT + (e / epochs) * (WIDTH - LEFT - RIGHT);
  const y = v => TOP + (1 - Math.min(v, top) / top) * (HEIGHT - TOP - BOTTOM);
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    parts.push(node("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: y(v), y2: y(v) }));
    parts.push(node("text", { x: LEFT - 5, y: y(v) + 4, "text-anchor": "end" }, format(Number(v.toPrecision(3)))));
  }
  const step = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 0; e <= epochs; e += step) parts.push(node("text", { x: x(e), y: HEIGHT - BOTTOM + 15, "text-anchor": "middle" }, String(e)));
  parts.push(node("text", { x: (LEFT + WIDTH - RIGHT) / 2, y: HEIGHT - 3, "text-anchor": "middle" }, "epochs"));
  parts.push(node("line", { class: "axis", x1: LEFT, x2: LEFT, y1: TOP, y2: HEIGHT - BOTTOM }));
  parts.push(node("line", { class: "axis", x1: LEFT, x2: WIDTH - RIGHT, y1: HEIGHT - BOTTOM, y2: HEIGHT - BOTTOM }));
  const line = state.points.filter(p => Number.isFinite(p[pointKey])).map(p => `${x(p.progress).toFixed(1)},${y(p[pointKey]).toFixed(1)}`);
  parts.push(node("polyline", { class: "batches", points: line.join(" ") }));
  for (const [key, name] of [[trainKey, "train"], [validationKey, "validation"]]) {
    const records = state.epochs.filter(r => r[key] != null && Number.isFinite(r[key]));
    parts.push(node("polyline", { class: `${name}-line`, points: records.map(r => `${x(r.epoch)},${y(r[key])}`).join(" ") }));
    for (const r of records) {
      parts.push(node("circle", { class: name, cx: x(r.epoch), cy: y(r[key]), r: 3.5 },
        node("title", {}, `epoch ${r.epoch}, ${name === "train" ? "training" : "validation"}: ${format(r[key])}`)));
    }
  }
  svg.replaceChildren(...parts);
  svg.dataset.points = String(line.length);
}

function node(tag, attributes, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) element.append(child);
  return element;
}

init().catch(error => showError(errorLine, error));
