// The index page: the models this server offers.
import { api, el, showError } from "/static/common.js";
const list = document.getElementById("models");
try {
  const models = await api("/api/models");
  list.replaceChildren(...(models.length ? models.map(m => el("li", { text: `${m.name}: ${m.origin}, ${m.parameters.toLocaleString("en")} parameters, input ${m.inputShape.join("x")}` }))
    : [el("li", { class: "muted", text: "None yet: pass model files to convolve serve, or train one on the Train page." })]));
} catch (e) { showError(document.getElementById("error"), e); }
