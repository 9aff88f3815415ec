// The article page: the steps of `convolve intro` on the learner's own numbers. The server computes
// every number (feature maps, sums, coverage counts, parameter counts); this file keeps the inputs,
// asks the server, and draws and formats what it answers.
import { api, showError, diverging, gray, formatNumber, el } from "/static/common.js";

const errorLine = document.getElementById("error");
const CYCLE = [0, 128, 255];
const count = new Intl.NumberFormat("en-US");

let defaults;
let image = [];
let kernel = [];
let chosenPixel = 0;

/** Runs an async step, showing its failure (the server's one-line reason) in the error line. */
async function attempt(step) {
  try {
    await step();
    showError(errorLine, null);
  } catch (error) {
    showError(errorLine, error);
  }
}

/** Calls fn with the newest arguments only: a later call makes an answer to an earlier one stale. */
function latest(fn) {
  let ticket = 0;
  return async (...args) => {
    const mine = ++ticket;
    const result = await fn(...args);
    return mine === ticket ? result : undefined;
  };
}

function css([r, g, b]) { return `rgb(${r}, ${g}, ${b})`; }
function inkOn([r, g, b]) { return 0.299 * r + 0.587 * g + 0.114 * b < 140 ? "white" : "black"; }

// ---- Step 1: the image grid --------------------------------------------------------------------

const imageTable = document.getElementById("image");
const pixelValue = document.getElementById("pixel-value");
const pixelWhere = document.getElementById("pixel-where");
let imageCells = [];
let painting = null;
let typed = "";
let typedTimer = 0;

function buildImage(side) {
  imageTable.replaceChildren();
  imageCells = [];
  for (let r = 0; r < side; r++) {
    const row = el("tr");
    for (let c = 0; c < side; c++) {
      const index = r * side + c;
      const cell = el("button", { type: "button", class: "cell", "data-index": String(index) });
      cell.addEventListener("pointerdown", event => {
        event.preventDefault();
        cell.focus();
        choosePixel(index);
        painting = nextInCycle(image[index]);
        setPixel(index, painting);
        if (cell.hasPointerCapture(event.pointerId)) cell.releasePointerCapture(event.pointerId);
      });
      cell.addEventListener("keydown", event => pixelKey(event, index, side));
      cell.addEventListener("focus", () => choosePixel(index));
      imageCells.push(cell);
      row.append(el("td", {}, cell));
    }
    imageTable.append(row);
  }
  // Painting: a drag (mouse, pen or touch) gives every pixel it crosses the first pixel's new value.
  imageTable.addEventListener("pointermove", event => {
    if (painting === null) return;
    const target = document.elementFromPoint(event.clientX, event.clientY);
    if (target && target.dataset && target.parentElement && imageTable.contains(target) && target.dataset.index !== undefined) {
      const index = Number(target.dataset.index);
      if (image[index] !== painting) setPixel(index, painting);
    }
  });
  for (const type of ["pointerup", "pointercancel"]) window.addEventListener(type, () => { painting = null; });
}

function nextInCycle(value) {
  const next = CYCLE.find(v => v > value);
  return next === undefined ? CYCLE[0] : next;
}

function pixelKey(event, index, side) {
  const moves = { ArrowUp: -side, ArrowDown: side, ArrowLeft: -1, ArrowRight: 1 };
  if (event.key in moves) {
    const to = index + moves[event.key];
    const sameRow = Math.floor(to / side) === Math.floor(index / side);
    if (to >= 0 && to < side * side && (event.key.startsWith("ArrowU") || event.key.startsWith("ArrowD") || sameRow)) {
      typed = "";
      imageCells[to].focus();
    }
    event.preventDefault();
  } else if (event.key === "Enter" || event.key === " ") {
    typed = "";
    setPixel(index, nextInCycle(image[index]));
    event.preventDefault();
  } else if (/^[0-9]$/.test(event.key)) {
    // Digits typed in a row make one number; a pause starts a new one.
    typed = (typed + event.key).slice(-3);
    if (Number(typed) > defaults.pixelMax) typed = event.key;
    clearTimeout(typedTimer);
    typedTimer = setTimeout(() => { typed = ""; }, 1200);
    setPixel(index, Number(typed));
    event.preventDefault();
  } else if (event.key === "Backspace" || event.key === "Delete") {
    typed = "";
    setPixel(index, 0);
    event.preventDefault();
  }
}

function choosePixel(index) {
  chosenPixel = index;
  const side = defaults.imageSide;
  pixelWhere.textContent = `(row ${Math.floor(index / side)}, column ${index % side})`;
  pixelValue.value = String(image[index]);
}

function setPixel(index, value) {
  image[index] = value;
  if (index === chosenPixel) pixelValue.value = String(value);
  drawImage();
  recompute();
}

function drawImage() {
  const side = defaults.imageSide;
  imageCells.forEach((cell, i) => {
    const colour = gray(image[i], 0, defaults.pixelMax);
    cell.textContent = formatNumber(image[i]);
    cell.style.background = css(colour);
    cell.style.color = inkOn(colour);
    cell.setAttribute("aria-label", `pixel row ${Math.floor(i / side)}, column ${i % side}: ${formatNumber(image[i])}`);
  });
}

pixelValue.addEventListener("change", () => {
  const value = Number(pixelValue.value);
  // Out-of-range values are sent as typed: the server's answer says what is allowed.
  setPixel(chosenPixel, pixelValue.value === "" ? NaN : value);
});

// ---- Step 1: the kernel ------------------------------------------------------------------------

const kernelTable = document.getElementById("kernel");
let kernelInputs = [];

function buildKernel(side) {
  kernelTable.replaceChildren();
  kernelInputs = [];
  for (let r = 0; r < side; r++) {
    const row = el("tr");
    for (let c = 0; c < side; c++) {
      const index = r * side + c;
      const input = el("input", {
        type: "number", step: "any", min: String(-defaults.kernelWeightMax), max: String(defaults.kernelWeightMax),
        "data-index": String(index), "aria-label": `kernel row ${r}, column ${c}`,
      });
      input.addEventListener("input", () => {
        kernel[index] = input.value === "" ? NaN : Number(input.value);
        drawKernel();
        recompute();
      });
      kernelInputs.push(input);
      row.append(el("td", {}, input));
    }
    kernelTable.append(row);
  }
}

function drawKernel() {
  const limit = Math.max(1, ...kernel.filter(Number.isFinite).map(Math.abs));
  kernelInputs.forEach((input, i) => {
    if (document.activeElement !== input) input.value = Number.isFinite(kernel[i]) ? String(kernel[i]) : "";
    const colour = diverging(Number.isFinite(kernel[i]) ? kernel[i] : 0, limit);
    input.style.background = css(colour);
    input.style.color = inkOn(colour);
  });
}

function setKernel(values) {
  kernel = [...values];
  drawKernel();
  recompute();
}

// ---- Feature maps (steps 1 and 2) --------------------------------------------------------------

/** A feature map table whose values show their sums on hover, focus or click, with the window outlined on the image. */
function featureMap(table, sumLine) {
  let answer = null;
  let pinned = null;
  let cells = [];

  function show(index) {
    imageCells.forEach(cell => cell.classList.remove("in-window"));
    cells.forEach(cell => cell.classList.toggle("chosen", Number(cell.dataset.index) === index));
    if (answer === null || index === null) return;
    const sum = answer.sums[index];
    sumLine.textContent = `Row ${sum.row}, column ${sum.column}: ${sum.text}`;
    const side = defaults.imageSide, k = defaults.kernelSide;
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) imageCells[(sum.row + i) * side + sum.column + j].classList.add("in-window");
  }

  function draw(result) {
    answer = result;
    if (cells.length !== result.map.length) {
      table.replaceChildren();
      cells = [];
      for (let r = 0; r < result.height; r++) {
        const row = el("tr");
        for (let c = 0; c < result.width; c++) {
          const index = r * result.width + c;
          const cell = el("button", { type: "button", class: "cell", "data-index": String(index) });
          cell.addEventListener("pointerenter", () => show(index));
          cell.addEventListener("pointerleave", () => show(pinned));
          cell.addEventListener("focus", () => show(index));
          cell.addEventListener("blur", () => show(pinned));
          cell.addEventListener("click", () => { pinned = pinned === index ? null : index; show(index); });
          cells.push(cell);
          row.append(el("td", {}, cell));
        }
        table.append(row);
      }
    }
    const limit = Math.max(1, result.largest);
    cells.forEach((cell, i) => {
      const colour = diverging(result.map[i], limit);
      const sum = result.sums[i];
      cell.textContent = formatNumber(result.map[i]);
      cell.style.background = css(colour);
      cell.style.color = inkOn(colour);
      cell.setAttribute("aria-label", `output row ${sum.row}, column ${sum.column}: ${formatNumber(result.map[i])}`);
    });
    if (pinned !== null) show(pinned);
  }

  return { draw };
}

const horizontalMap = featureMap(document.getElementById("map"), document.getElementById("sum"));
const verticalMap = featureMap(document.getElementById("vmap"), document.getElementById("vsum"));
const verticalNote = document.getElementById("vnote");

const convolveBoth = latest(() => Promise.all([
  api("/api/article/convolve", { image, kernel }),
  api("/api/article/convolve", { image, kernel: defaults.vertical }),
]));

function recompute() {
  return attempt(async () => {
    const both = await convolveBoth();
    if (both === undefined) return;
    const [mine, vertical] = both;
    horizontalMap.draw(mine);
    verticalMap.draw(vertical);
    verticalNote.textContent = vertical.largest === 0 && vertical.imageRowsUniform
      ? "Every output is 0: each row of the image holds a single value, so in every window the left column equals the right " +
        "column, and +1 times a value plus -1 times the same value cancel. There is no vertical edge for this kernel to find."
      : `The largest response has magnitude ${formatNumber(vertical.largest)}.`;
  });
}

function drawFixedGrid(table, values, side) {
  const limit = Math.max(1, ...values.map(Math.abs));
  table.replaceChildren();
  for (let r = 0; r < side; r++) {
    const row = el("tr");
    for (let c = 0; c < side; c++) {
      const colour = diverging(values[r * side + c], limit);
      const cell = el("span", { class: "cell", text: formatNumber(values[r * side + c]) });
      cell.style.background = css(colour);
      cell.style.color = inkOn(colour);
      row.append(el("td", {}, cell));
    }
    table.append(row);
  }
}

// ---- Step 3: coverage --------------------------------------------------------------------------

const coverageForm = document.getElementById("coverage-form");
const coverageTable = document.getElementById("coverage");
const coverageSummary = document.getElementById("coverage-summary");

function plural(n, word) { return `${count.format(n)} ${n === 1 ? word : word + "s"}`; }

function formNumbers(form) {
  const body = {};
  for (const input of form.querySelectorAll("input")) body[input.name] = input.value === "" ? null : Number(input.value);
  return body;
}

const askCoverage = latest(body => api("/api/article/coverage", body));

function updateCoverage() {
  return attempt(async () => {
    const g = await askCoverage(formNumbers(coverageForm));
    if (g === undefined) return;
    coverageTable.replaceChildren();
    for (let r = 0; r < g.height; r++) {
      const row = el("tr");
      for (let c = 0; c < g.width; c++) {
        const value = g.counts[r * g.width + c];
        const t = g.max > 0 ? value / g.max : 0;
        const colour = [Math.round(255 + (33 - 255) * t), Math.round(255 + (102 - 255) * t), Math.round(255 + (172 - 255) * t)];
        const cell = el("span", { class: "cell", text: count.format(value), "data-row": String(r), "data-column": String(c) });
        cell.style.background = css(colour);
        cell.style.color = inkOn(colour);
        row.append(el("td", {}, cell));
      }
      coverageTable.append(row);
    }
    coverageSummary.textContent =
      `A ${g.kernel}x${g.kernel} filter over a ${g.height}x${g.width} image, stride ${g.stride}, padding ${g.padding}: ` +
      `${g.outHeight}x${g.outWidth} = ${plural(g.windows, "window position")}, each reading ${plural(g.taps, "weight")}. ` +
      `Corner pixel (0, 0): used ${plural(g.counts[0], "time")}. Fewest uses: ${count.format(g.min)}; most: ${count.format(g.max)}. ` +
      `All uses add up to ${count.format(g.sum)}.` +
      (g.unused > 0 ? ` ${plural(g.unused, "pixel")} ${g.unused === 1 ? "is" : "are"} never used: the stride skips past them.` : "");
  });
}

// ---- Step 4: parameters ------------------------------------------------------------------------

const paramsForm = document.getElementById("params-form");
const paramsBody = document.querySelector("#params tbody");
const paramsSummary = document.getElementById("params-summary");
const askParams = latest(body => api("/api/article/params", body));

function updateParams() {
  return attempt(async () => {
    const p = await askParams(formNumbers(paramsForm));
    if (p === undefined) return;
    paramsBody.replaceChildren(...p.rows.map(row => el("tr", { "data-kind": row.kind },
      el("td", { class: "layer", text: row.layer }),
      el("td", { class: "formula", text: row.weightsFormula }),
      el("td", { text: count.format(row.biases) }),
      el("td", { class: "formula", text: row.totalFormula }))));
    paramsSummary.textContent = `The fully connected layer has ${p.ratio} times the parameters of the convolution. ` +
      "The convolution's count does not depend on the image size: its filters are reused at every position.";
  });
}

function setForm(form, values) {
  for (const input of form.querySelectorAll("input")) {
    if (values[input.name] !== undefined) input.value = String(values[input.name]);
  }
}

function limitInputs(prefix, ranges) {
  for (const [name, range] of Object.entries(ranges)) {
    const input = document.getElementById(`${prefix}-${name}`);
    input.min = String(range.min);
    input.max = String(range.max);
    input.step = "1";
  }
}

// ---- Start -------------------------------------------------------------------------------------

async function start() {
  defaults = await api("/api/article/defaults");
  image = [...defaults.image];
  kernel = [...defaults.horizontal];
  buildImage(defaults.imageSide);
  buildKernel(defaults.kernelSide);
  drawImage();
  drawKernel();
  choosePixel(0);
  drawFixedGrid(document.getElementById("vkernel"), defaults.vertical, defaults.kernelSide);
  document.getElementById("map-note").textContent = defaults.mapNote;

  document.getElementById("reset-image").addEventListener("click", () => { image = [...defaults.image]; drawImage(); choosePixel(chosenPixel); recompute(); });
  const printed = document.getElementById("printed-image");
  if (defaults.printedRowsImage) {
    printed.hidden = false;
    printed.addEventListener("click", () => { image = [...defaults.printedRowsImage]; drawImage(); choosePixel(chosenPixel); recompute(); });
  }
  document.getElementById("kernel-horizontal").addEventListener("click", () => setKernel(defaults.horizontal));
  document.getElementById("kernel-vertical").addEventListener("click", () => setKernel(defaults.vertical));
  document.getElementById("kernel-reset").addEventListener("click", () => setKernel(defaults.horizontal));

  const c = defaults.coverage;
  limitInputs("cov", { height: c.sideRange, width: c.sideRange, kernel: c.kernelRange, padding: c.paddingRange, stride: c.strideRange });
  setForm(coverageForm, c);
  coverageForm.addEventListener("input", updateCoverage);
  coverageForm.addEventListener("submit", event => event.preventDefault());

  const p = defaults.params;
  limitInputs("par", { height: p.sideRange, width: p.sideRange, channels: p.channelsRange, hidden: p.hiddenRange, filters: p.filtersRange,
    kernel: p.kernelRange });
  setForm(paramsForm, p);
  paramsForm.addEventListener("input", updateParams);
  paramsForm.addEventListener("submit", event => event.preventDefault());
  document.getElementById("presets").replaceChildren(...p.presets.map(preset => {
    const button = el("button", { type: "button", text: preset.name });
    button.addEventListener("click", () => { setForm(paramsForm, preset); updateParams(); });
    return button;
  }));
  document.getElementById("params-note").textContent = defaults.parameterNote;

  await Promise.all([recompute(), updateCoverage(), updateParams()]);
  document.body.dataset.ready = "true";
}

attempt(start);
