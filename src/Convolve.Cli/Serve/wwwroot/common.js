// Shared helpers of the convolve serve pages. Every number the pages show comes from the server
// (the engine); this file only fetches, draws and formats.

/** Calls the API: GET when body is undefined, else POST with JSON. Throws an Error carrying the server's one-line reason. */
export async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(data && data.error ? data.error : `${response.status} ${response.statusText}`);
  return data;
}

/** Shows a failure's message in the page's error line (or clears it with null). */
export function showError(element, error) {
  element.textContent = error ? (error.message || String(error)) : "";
}

// The diverging scale of the PNGs (Convolve.Cli.Pictures.DivergingScale): white at zero, blue for
// negative, red for positive, full strength at +-limit.
const NEGATIVE = [33, 102, 172], POSITIVE = [178, 24, 43];

/** The [r, g, b] colour of value on a diverging scale reaching full strength at +-limit. */
export function diverging(value, limit) {
  const t = Math.min(1, Math.abs(value) / (limit > 0 ? limit : 1));
  const end = value >= 0 ? POSITIVE : NEGATIVE;
  return end.map(c => Math.round(255 + (c - 255) * t));
}

/** The [r, g, b] of a gray value between min (black) and max (white). */
export function gray(value, min = 0, max = 1) {
  const v = Math.round(255 * Math.min(1, Math.max(0, (value - min) / (max - min || 1))));
  return [v, v, v];
}

/**
 * Draws a height x width grid of values (row-major) on canvas, each value a cell of `cell` pixels,
 * coloured by colorOf(value). Returns the canvas.
 */
export function drawGrid(canvas, values, height, width, cell, colorOf) {
  canvas.width = width * cell;
  canvas.height = height * cell;
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const [r, g, b] = colorOf(values[Math.floor(y / cell) * width + Math.floor(x / cell)]);
      const at = 4 * (y * canvas.width + x);
      image.data[at] = r; image.data[at + 1] = g; image.data[at + 2] = b; image.data[at + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/** The largest magnitude in values (1 when all are zero): the limit of a diverging scale. */
export function limitOf(values) {
  let limit = 0;
  for (const v of values) limit = Math.max(limit, Math.abs(v));
  return limit > 0 ? limit : 1;
}

/** A number as the CLI prints it: integers plain, others with up to 4 significant decimals. */
export function formatNumber(value) {
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}

/** Creates an element with attributes and children. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value);
  }
  for (const child of children) element.append(child);
  return element;
}
