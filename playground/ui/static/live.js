// The page's live view: cards, the main picture, the training curves and the network, drawn in
// the browser from the compact frames the training workers send over one WebSocket (format:
// playground/draw/frames.py). One frame is in flight at a time: the view acknowledges each one
// as it arrives, so a slow browser or network gets fewer frames, never a backlog. The view's
// elements live in this module and move to each new mount, so a page rerun never blanks them.
import { Picture, classLabel } from "./picture.js";
import { Curves } from "./curves.js";
import { Network } from "./network.js";
import { percent, sig, tooltip } from "./plotting.js";

const S = (window.__mlpLive = window.__mlpLive || {
  root: null, ws: null, token: null, structure: null, frame: null, pending: null,
  history: null, options: { showTest: true, discretize: false, logLoss: false },
  stats: { painted: 0, received: 0, bytes: 0, frames: 0, held: 0, log: [] }, hold: null, trigger: null,
  closer: null, retry: 0, drawQueued: false, hovering: null,
});

const CSS = `
.mlp-live { font-family: inherit; color: rgb(49,51,63); position: relative; contain: layout paint style; }
.mlp-cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; margin: 2px 0 4px; }
.mlp-card .label { font-size: 14px; color: rgb(49,51,63); }
.mlp-card .value { font-size: 1.9rem; line-height: 1.25; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.mlp-card .delta { font-size: 13px; height: 18px; line-height: 18px; color: rgb(96,98,108); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.mlp-card .delta.down { color: rgb(33,195,84); } .mlp-card .delta.up { color: rgb(255,43,43); }
.mlp-progress { height: 20px; display: flex; align-items: center; gap: 10px; font-size: 13px; color: rgb(96,98,108); }
.mlp-progress .bar { flex: 1; height: 6px; background: rgb(240,242,246); border-radius: 3px; overflow: hidden; }
.mlp-progress .bar > div { height: 100%; background: #f59322; width: 0; }
.mlp-row { display: grid; grid-template-columns: 1.1fr 1fr; gap: 18px; align-items: start; }
.mlp-toolbar { display: flex; gap: 18px; font-size: 14px; min-height: 26px; align-items: center; flex-wrap: wrap; }
.mlp-toolbar label { display: inline-flex; gap: 6px; align-items: center; cursor: pointer; }
.mlp-toolbar input { accent-color: #f59322; width: 16px; height: 16px; }
.mlp-pic, .mlp-curves, .mlp-net, .mlp-closer, .mlp-layers { position: relative; }
.mlp-layers > canvas { position: absolute; left: 0; top: 0; }
.mlp-grid { image-rendering: auto; }
.mlp-section { font-weight: 600; font-size: 1.1rem; margin: 18px 0 4px; }
.mlp-caption { font-size: 14px; color: rgb(96,98,108); margin: 2px 0 6px; }
.mlp-netrow { display: grid; grid-template-columns: 2.4fr 1fr; gap: 18px; align-items: start; }
.mlp-tip { position: absolute; display: none; pointer-events: none; z-index: 5; background: rgba(255,255,255,0.96);
  border: 1px solid rgb(200,200,200); border-radius: 4px; padding: 3px 7px; font-size: 13px; white-space: nowrap;
  box-shadow: 0 1px 4px rgba(0,0,0,0.12); }
.mlp-editor { position: absolute; display: none; z-index: 6; width: 110px; font-size: 13px; padding: 2px 4px; }
.mlp-bias { display: none; gap: 6px; align-items: center; font-size: 13px; margin-top: 4px; }
.mlp-bias input { width: 90px; font-size: 13px; }
.mlp-message { font-size: 14px; padding: 0; border-radius: 6px; }
.mlp-message:not(:empty) { padding: 8px 12px; margin: 2px 0 6px; }
.mlp-message.diverged:not(:empty) { background: rgba(255,43,43,0.09); color: rgb(125,53,59); }
.mlp-message.early_stopped:not(:empty) { background: rgba(28,131,225,0.1); color: rgb(0,66,128); }
.mlp-notice { font-size: 13px; color: rgb(160,90,0); min-height: 0; }
.mlp-hint { font-size: 13px; color: rgb(96,98,108); margin-top: 4px; }
canvas { display: block; }
@media (max-width: 700px) {
  .mlp-cards { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 2px 8px; }
  .mlp-card .label { font-size: 12px; } .mlp-card .value { font-size: 1.15rem; } .mlp-card .delta { font-size: 11px; height: 13px; line-height: 13px; }
  .mlp-row, .mlp-netrow { grid-template-columns: 1fr; }
}`;

function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function toggle(parent, label, key, testid) {
  const l = el("label", "", parent);
  const box = el("input", "", l);
  box.type = "checkbox";
  box.checked = S.options[key];
  box.setAttribute("data-testid", testid);
  l.appendChild(document.createTextNode(label));
  box.addEventListener("change", () => { S.options[key] = box.checked; requestDraw(); });
  return l;
}

function build() {
  const root = el("div", "mlp-live");
  root.setAttribute("data-testid", "mlpLive");
  el("style", "", root).textContent = CSS;
  const cards = el("div", "mlp-cards", root);
  S.cards = {};
  for (const [key, label] of [["epoch", "Epoch"], ["train", "Train loss"], ["test", "Test loss"],
    ["score", "Test accuracy"], ["speed", "Speed"], ["status", "Status"]]) {
    const c = el("div", "mlp-card", cards);
    c.setAttribute("data-testid", `mlpCard-${key}`);
    S.cards[key] = { label: el("div", "label", c, label), value: el("div", "value", c, "–"), delta: el("div", "delta", c, "") };
  }
  const progress = el("div", "mlp-progress", root);
  S.progressText = el("span", "", progress, "");
  S.progressBar = el("div", "", el("div", "bar", progress));
  S.progress = progress;
  S.message = el("div", "mlp-message", root);
  S.message.setAttribute("data-testid", "mlpMessage");
  const row = el("div", "mlp-row", root);
  const left = el("div", "", row), right = el("div", "", row);
  const bar = el("div", "mlp-toolbar", left);
  toggle(bar, "Show test points", "showTest", "mlpShowTest");
  S.discretizeToggle = toggle(bar, "Discretize output", "discretize", "mlpDiscretize");
  S.pic = el("div", "mlp-pic", left);
  S.picture = new Picture(S.pic);
  S.picTip = el("div", "mlp-tip", S.pic);
  toggle(el("div", "mlp-toolbar", right), "Log-scale loss", "logLoss", "mlpLogLoss");
  S.curvesBox = el("div", "mlp-curves", right);
  S.curves = new Curves(S.curvesBox);
  S.curveTip = el("div", "mlp-tip", S.curvesBox);
  S.notice = el("div", "mlp-notice", root);
  el("div", "mlp-section", root, "The network");
  S.netCaption = el("div", "mlp-caption", root);
  const netrow = el("div", "mlp-netrow", root);
  S.net = el("div", "mlp-net", netrow);
  S.closerBox = el("div", "mlp-closer", netrow);
  S.network = new Network({ network: S.net, closer: S.closerBox });
  S.netTip = el("div", "mlp-tip", S.net);
  S.hint = el("div", "mlp-hint", root);
  S.editor = el("input", "mlp-editor", S.net);
  S.editor.setAttribute("data-testid", "mlpWeightEditor");
  S.biasRow = el("div", "mlp-bias", S.closerBox);
  S.biasRow.appendChild(document.createTextNode("bias"));
  S.biasInput = el("input", "", S.biasRow);
  S.biasInput.setAttribute("data-testid", "mlpBiasEditor");
  const set = el("button", "", S.biasRow, "Set");
  set.addEventListener("click", () => sendBias());
  S.biasInput.addEventListener("keydown", (ev) => { if (ev.key === "Enter") sendBias(); });
  wireHover();
  new ResizeObserver(() => requestDraw()).observe(root);
  return root;
}

// ---- the channel -----------------------------------------------------------------------------
function connect(token) {
  if (S.ws) { S.ws.onclose = null; S.ws.close(); }
  S.token = token;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const base = location.pathname.replace(/\/+$/, "");
  const ws = new WebSocket(`${proto}//${location.host}${base}/playground/live?token=${encodeURIComponent(token)}`);
  ws.binaryType = "arraybuffer";
  S.ws = ws;
  ws.onopen = () => { S.retry = 0; notice(""); if (S.closer) send({ closer: S.closer }); };
  ws.onmessage = (ev) => receive(ev.data);
  ws.onclose = (ev) => {
    if (S.ws !== ws) return;
    if (ev.code === 4404) { notice("This page's session has ended: reload the page to go on."); return; }
    notice("Connection to the server lost; reconnecting…");
    S.retry = Math.min(S.retry + 1, 6);
    setTimeout(() => { if (S.ws === ws) connect(token); }, 200 * 2 ** S.retry);
  };
}

function send(message) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(message));
}

export function decode(buffer) {
  const view = new DataView(buffer);
  const n = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, n)));
  const start = 8 + n, arrays = {};
  const kinds = { u8: Uint8Array, f32: Float32Array, i32: Int32Array };
  for (const s of header.arrays) {
    const count = s.shape.reduce((a, b) => a * b, 1);
    arrays[s.name] = { data: new kinds[s.dtype](buffer, start + s.offset, count), shape: s.shape };
  }
  return { header, arrays };
}

function receive(buffer) {
  const now = performance.now();
  if (S.stats.ackAt) S.stats.waitTotal = (S.stats.waitTotal || 0) + (now - S.stats.ackAt);
  const message = decode(buffer);
  S.stats.received++;
  // The last frames' arrivals (the bench tells the trainer's and the browser's time apart)
  const arrivals = (S.stats.arrivals = S.stats.arrivals || []);
  arrivals.push([now, message.header.epoch]);
  if (arrivals.length > 16) arrivals.shift();
  S.stats.bytes += buffer.byteLength;
  S.stats.lastBytes = buffer.byteLength;
  if (message.header.kind === "structure") {
    S.structure = message;
    message.seq = (S.stats.structures = (S.stats.structures || 0) + 1);
    S.history = {};
    const keys = message.header.history_keys, rows = message.arrays.history;
    keys.forEach((k, j) => { S.history[k] = []; });
    appendRows(keys, rows);
    S.frame = null;
  } else {
    const have = S.history ? S.history.epoch.length : 0;
    if (!S.structure || message.header.version !== S.structure.header.version || message.header.history_start > have) {
      (S.stats.resyncs = S.stats.resyncs || []).push(!S.structure ? "no structure"
        : message.header.version !== S.structure.header.version ? "another run's frame"
        : `rows from ${message.header.history_start}, ${have} held`);
      send({ resync: true, ack: message.header.seq });
      return;
    }
    if (message.header.playing && S.hold !== null && S.hold !== undefined && message.header.seq > S.hold) {
      // Sent before the trainer heard of the learner's Pause: the run goes back to the frame
      // on screen, so this one is never shown (the counter does not step on and back). Nor is
      // it acknowledged: no more frames go out before the Pause has arrived, so the trainer
      // still keeps the run as the frame on screen showed it (playground/schedule.py).
      S.stats.held = (S.stats.held || 0) + 1;
      return;
    }
    if (!message.header.playing) S.hold = null;
    S.pending = message;
    requestDraw(); // the frame is acknowledged once drawn: the server never runs ahead
    return;
  }
  ack(message.header.seq);
  requestDraw();
}

function ack(seq) {
  send({ ack: seq });
  S.stats.ackAt = performance.now();
}

function appendRows(keys, rows) {
  const n = rows.shape[0], k = rows.shape[1];
  for (let i = 0; i < n; i++) keys.forEach((key, j) => S.history[key].push(rows.data[i * k + j]));
}

// ---- drawing ---------------------------------------------------------------------------------
function requestDraw() {
  if (S.drawQueued) return;
  S.drawQueued = true;
  requestAnimationFrame(draw);
}

function draw() {
  S.drawQueued = false;
  ensureAttached();
  if (S.pending) {
    const f = S.pending;
    S.pending = null;
    const keys = S.structure.header.history_keys;
    keys.forEach((key) => { S.history[key].length = f.header.history_start; });
    appendRows(keys, f.arrays.history);
    S.frame = f;
    S.stats.frames++;
    S.toAck = f.header.seq;
    askForRerun();
  }
  if (!S.structure || !S.frame || !S.root.isConnected || !S.root.clientWidth) {
    if (S.toAck !== null && S.toAck !== undefined) { ack(S.toAck); S.toAck = null; }
    return;
  }
  const began = performance.now();
  const width = S.root.clientWidth;
  if (!width) return;
  const h = S.structure.header, f = S.frame;
  const narrow = width < 700;
  const picWidth = Math.min(560, narrow ? width : Math.floor((width - 18) * 1.1 / 2.1));
  const curveWidth = narrow ? width : Math.floor((width - 18) / 2.1);
  S.discretizeToggle.style.display = h.dim === 2 && h.task !== "regression" ? "" : "none";
  S.picture.draw(S.structure, f, S.options, picWidth);
  S.curves.draw(S.history, h, S.options, curveWidth, narrow ? 220 : 270);
  const netWidth = narrow ? width : Math.floor((width - 18) * 2.4 / 3.4);
  S.network.draw(S.structure, f, netWidth, narrow ? Math.min(width, 340) : Math.floor((width - 18) / 3.4));
  cards(h, f.header);
  texts(h, f.header);
  S.stats.painted++;
  S.stats.lastEpoch = f.header.epoch;
  S.stats.frameMs = f.header.frame_ms;
  S.stats.drawMs = performance.now() - began;
  S.stats.drawTotal = (S.stats.drawTotal || 0) + S.stats.drawMs;
  S.stats.log.push([performance.now(), f.header.epoch, f.header.seq]);
  if (S.stats.log.length > 4000) S.stats.log.splice(0, 2000);
  S.root.setAttribute("data-epoch", String(f.header.epoch));
  S.root.setAttribute("data-status", f.header.status);
  const m = f.header.milestone;  // for tests and benches: "epoch seconds-played" at 95%
  S.root.setAttribute("data-milestone", m ? `${m.epoch} ${m.played_s}` : "");
  updateBias();
  if (S.toAck !== null && S.toAck !== undefined) {
    ack(S.toAck);
    S.toAck = null;
  }
}

const STATUS = { training: "training", paused: "paused", ready: "ready", finished: "finished",
  diverged: "diverged", early_stopped: "stopped early", error: "failed" };

function cards(h, fh) {
  const c = fh.cards, regression = h.task === "regression";
  set("epoch", fh.epoch.toLocaleString("en-US"), fh.stop_at ? `of ${fh.stop_at.toLocaleString("en-US")}` : "");
  set("train", sig(c.train_loss), delta(c.d_train_loss));
  set("test", sig(c.test_loss), delta(c.d_test_loss));
  S.cards.score.label.textContent = regression ? "Test R²" : "Test accuracy";
  const m = fh.milestone;
  S.cards.score.delta.title = m ? "The first epoch that reached this on the test set, and the seconds the run had played until then" : "";
  set("score", regression ? (c.score === null ? "–" : c.score.toFixed(3)) : percent(c.score),
    m ? `${regression ? "R² 0.95" : "95%"} at epoch ${m.epoch.toLocaleString("en-US")} · ${m.played_s < 10 ? m.played_s.toFixed(2) : m.played_s.toFixed(1)} s` : "");
  set("speed", fh.playing && fh.rate ? `${Math.round(fh.rate).toLocaleString("en-US")}/s` : "–",
    // the pace above, the computing below: an epoch at 60/s may take 2 ms of it
    c.ms_per_epoch ? `train ${sig(c.ms_per_epoch)} ms each` : "");
  S.cards.speed.label.textContent = "Epochs per second";
  const shared = fh.sharing ? ` · sharing the machine with ${fh.sharing} other run${fh.sharing > 1 ? "s" : ""}` : "";
  set("status", STATUS[fh.status] || fh.status, fh.playing ? `pace: ${fh.pace_label}${shared}` : "");
  for (const key of ["train", "test"]) {
    const d = key === "train" ? c.d_train_loss : c.d_test_loss;
    S.cards[key].delta.className = `delta ${d === null ? "" : d < 0 ? "down" : d > 0 ? "up" : ""}`;
  }
  const p = fh.stop_at ? Math.min(1, fh.epoch / fh.stop_at) : 0;
  S.message.textContent = fh.message || "";
  S.message.className = `mlp-message ${fh.status}`;
  S.progress.style.visibility = fh.stop_at ? "visible" : "hidden";
  S.progressText.textContent = fh.stop_at ? `epoch ${fh.epoch.toLocaleString("en-US")} of ${fh.stop_at.toLocaleString("en-US")}` : "";
  S.progressBar.style.width = `${(100 * p).toFixed(1)}%`;
}

function set(key, value, sub) {
  S.cards[key].value.textContent = value;
  S.cards[key].delta.textContent = sub;
}

function delta(d) {
  return d === null || d === undefined ? "" : `${d > 0 ? "↑ +" : d < 0 ? "↓ " : ""}${sig(d)}`;
}

function texts(h, fh) {
  S.netCaption.textContent = "Every line is a weight: blue positive, orange negative, thicker when larger. "
    + (h.pictures ? (h.dim === 2 ? "Each square shows what that node outputs over the input space (blue above 0, orange below), as the network learns. "
      : "Each node shows its output as a curve over x (blue line; the grey line is 0), as the network learns. ") : "")
    + "Hover over a line or a node for its value; when training is paused, click a line to change its weight.";
  const narrowest = Math.min(...h.layers.slice(1, -1).map((l) => l.width));
  S.hint.textContent = h.task === "multiclass" && narrowest < h.n_classes
    ? `A hidden layer of ${narrowest} is narrower than the ${h.n_classes} classes: every class must squeeze through it. Widen the layers (e.g. 32) in the sidebar.`
    : "";
}

// ---- hover, edits --------------------------------------------------------------------------
function local(ev, box) {
  const r = box.getBoundingClientRect();
  return [ev.clientX - r.left, ev.clientY - r.top];
}

function wireHover() {
  const pic = S.picture.canvas;
  pic.addEventListener("mousemove", (ev) => {
    const [u, v] = local(ev, pic);
    S.hovering = ["picture", u, v];
    tooltip(S.picTip, S.picture.hover(u, v), u, v);
    if (S.structure && S.structure.header.dim === 1) requestDraw();
  });
  pic.addEventListener("mouseleave", () => { S.hovering = null; S.picture.guide = null; tooltip(S.picTip, null); requestDraw(); });
  for (const [name, canvas] of [["loss", S.curves.loss], ["score", S.curves.score]]) {
    canvas.addEventListener("mousemove", (ev) => {
      const [u, v] = local(ev, canvas);
      const [bu, bv] = local(ev, S.curvesBox);
      tooltip(S.curveTip, S.curves.hover(name, u, v), bu, bv);
      requestDraw();
    });
    canvas.addEventListener("mouseleave", () => { S.curves.cursor = null; tooltip(S.curveTip, null); requestDraw(); });
  }
  const net = S.network.canvas;
  net.addEventListener("mousemove", (ev) => {
    const [u, v] = local(ev, net);
    const hit = S.network.hover(u, v);
    net.style.cursor = hit ? "pointer" : "default";
    tooltip(S.netTip, hit ? hit.text : null, u, v);
  });
  net.addEventListener("mouseleave", () => tooltip(S.netTip, null));
  net.addEventListener("click", (ev) => {
    const [u, v] = local(ev, net);
    const hit = S.network.hover(u, v);
    if (!hit) return;
    if (hit.kind === "node") {
      S.closer = [hit.node.layer, hit.node.unit];
      send({ closer: S.closer });
    } else if (S.frame && !S.frame.header.playing) {
      openEditor(hit.edge, u, v);
    }
  });
  S.editor.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      const value = Number(S.editor.value);
      if (S.editor.value.trim() !== "" && isFinite(value)) {
        send({ edit: { kind: "weight", ...S.editing, value } });
        changed();
      }
      S.editor.style.display = "none";
    } else if (ev.key === "Escape") S.editor.style.display = "none";
  });
  S.editor.addEventListener("blur", () => { S.editor.style.display = "none"; });
}

function openEditor(edge, u, v) {
  S.editing = { layer: edge.layer, out: edge.out, in: edge.in };
  S.editor.value = edge.w.toFixed(4);
  S.editor.title = `${edge.from} → ${edge.to}: type a new weight, then Enter`;
  S.editor.style.left = `${Math.max(0, u - 55)}px`;
  S.editor.style.top = `${v + 10}px`;
  S.editor.style.display = "block";
  S.editor.focus();
  S.editor.select();
}

function sendBias() {
  const value = Number(S.biasInput.value);
  const closer = S.frame && S.frame.header.closer;
  if (!closer || S.biasInput.value.trim() === "" || !isFinite(value)) return;
  send({ edit: { kind: "bias", layer: closer[0] - 1, out: closer[1], value } });
  changed();
}

function changed() {
  // the page's panels below (errors, replay, …) show the model too: rerun them
  if (S.trigger) S.trigger("edited", Date.now());
}

function notice(text) {
  if (S.notice) S.notice.textContent = text;
}

function updateBias() {
  const f = S.frame;
  const closer = f && f.header.closer;
  const has = closer && closer[0] > 0 && !S.structure.header.batchnorm;  // a node with a bias
  const show = has && !f.header.playing;
  S.biasRow.style.display = has ? "flex" : "none";  // its room kept while playing: no shift
  S.biasRow.style.visibility = show ? "visible" : "hidden";
  if (show && document.activeElement !== S.biasInput) {
    const b = S.network.bias(closer[0], closer[1]);
    S.biasInput.value = b === null || b === undefined ? "" : b.toFixed(4);
  }
}

// Streamlit may replace or hide (display: none, during a rerun) the element the view lives in:
// before every paint, move the view into the newest shown one of its homes, so no frame is blank.
function ensureAttached() {
  if (!S.root || (S.root.isConnected && S.root.clientWidth)) return;
  const hosts = [...document.querySelectorAll(".st-key-live *")].filter((e) => e.shadowRoot);
  const shown = hosts.filter((e) => e.getClientRects().length > 0);
  const host = shown.length ? shown[shown.length - 1] : hosts[hosts.length - 1];
  const parentAlive = S.parent && (S.parent.host ? S.parent.host.isConnected : S.parent.isConnected);
  const home = host ? host.shadowRoot : parentAlive ? S.parent : null;
  if (home && S.root.parentNode !== home) {
    home.appendChild(S.root);
    requestDraw();
  }
}
// At rest at an epoch the page's panels below were not drawn at (paused, stepped, stopped on
// its own): they show the model too, so ask Streamlit for a rerun; again after a while if none
// came (a request made while the page's script was still running can be lost).
function askForRerun() {
  const f = S.frame;
  if (!f || f.header.playing || !S.trigger || f.header.epoch === S.pageEpoch) return;
  const app = document.querySelector('[data-testid="stApp"]');
  if (app && app.dataset.testScriptState === "running") return; // its end mounts the view anew
  const now = performance.now();
  if (S.asked === f.header.epoch && now - S.askedAt < 1500) return;
  S.asked = f.header.epoch;
  S.askedAt = now;
  S.trigger("stopped", `${f.header.epoch}:${Date.now()}`);
}
setInterval(askForRerun, 250);

function watch() {
  ensureAttached();
  if (S.root) markHolder();
  requestAnimationFrame(watch);
}
requestAnimationFrame(watch);
setInterval(ensureAttached, 200); // animation frames stop in a hidden tab

// Pause and Step act at the click: the view tells the trainer directly and the click never
// reaches Streamlit (no rerun in between); the frame that follows asks for the rerun. Without
// the view's channel the buttons work through Streamlit as usual.
document.addEventListener("click", (ev) => {
  if (!S.ws || S.ws.readyState !== WebSocket.OPEN || !S.frame || !ev.target.closest) return;
  const playing = S.frame.header.playing;
  const train = ev.target.closest(".st-key-train button");
  if (train && !playing) {
    // Train starts here and now; the click goes on to Streamlit too, whose rerun redraws the
    // button as Pause (its callback finds the job playing already).
    const box = document.querySelector(".st-key-stop_after input");
    send({ train: { stop_after: !!(box && box.checked) } });
    return;
  }
  const pause = playing && train;
  const step = ev.target.closest(".st-key-step button");
  if (!pause && !step) return;
  ev.stopPropagation();
  ev.preventDefault();
  // `seen`: the frame on screen; the trainer, a little ahead of it, goes back to it.
  const seen = S.frame.header.seq;
  if (playing) {
    S.hold = seen;
    if (S.pending && S.pending.header.playing && S.pending.header.seq > seen) {  // not drawn yet
      S.stats.held++;
      S.pending = null;
    }
  }
  send(pause ? { pause: true, seen } : { step: true, seen });
}, true);

// ---- the component -----------------------------------------------------------------------
// The page's element that holds the view is marked: the page's style shows that one only, so at
// a rerun, when Streamlit keeps the old element hidden ("retained") and adds a new one that the
// view moves to at its mount, the view is never hidden for a frame and no empty element adds a
// gap (playground/ui/page.py).
// React may also wrap the view's host in a new element later, so the mark is checked on every
// animation frame (before the frame is painted: watch(), above).
function markHolder() {
  const parent = S.root.parentNode, host = parent && (parent.host || parent);
  const holder = host && host.closest ? host.closest('[data-testid="stElementContainer"]') : null;
  if (S.holder && S.holder !== holder) S.holder.removeAttribute("data-mlp-holder");
  if (holder && !holder.hasAttribute("data-mlp-holder")) holder.setAttribute("data-mlp-holder", "");
  S.holder = holder;
}

export function mount(component) {
  const { parentElement, data } = component;
  if (!S.root) S.root = build();
  S.stats.mounts = (S.stats.mounts || 0) + 1;
  S.parent = parentElement;
  if (S.root.parentNode !== parentElement) parentElement.appendChild(S.root);
  markHolder();
  S.trigger = component.setTriggerValue;
  S.pageEpoch = data.epoch;
  S.root.dataset.pageEpoch = String(data.epoch); // the epoch the page's panels were drawn at
  if (data.closer && !S.closer) S.closer = data.closer;
  if (S.token !== data.token || !S.ws) connect(data.token);
  requestDraw();
}
