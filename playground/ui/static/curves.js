// The training curves: loss (train and test, optionally on a log axis) and accuracy or R²,
// against the epoch, redrawn as rows arrive. Hover shows the values at the nearest epoch.
import { Area, TEXT, FONT, legend, niceTicks, percent, sig, sizeCanvas, tickLabel } from "./plotting.js";

const TRAIN = "rgb(8,119,189)", TEST = "rgb(228,87,46)";
const MARGIN = { left: 58, right: 16, top: 30, bottom: 40 };

export class Curves {
  constructor(root) {
    this.loss = document.createElement("canvas");
    this.loss.setAttribute("data-testid", "mlpLossCurve");
    this.score = document.createElement("canvas");
    this.score.setAttribute("data-testid", "mlpScoreCurve");
    root.append(this.loss, this.score);
    this.areas = {};
    this.cursor = null; // epoch index under the cursor
  }

  draw(history, header, options, width, height) {
    this.history = history;
    this.header = header;
    this.log = options.logLoss;
    const [, , , trainScore, testScore] = header.history_keys;
    const regression = header.task === "regression";
    this._chart("loss", this.loss, width, height, ["train_loss", "test_loss"],
      ["train loss", "test loss"], this.log ? "log10 loss" : "loss", this.log);
    this._chart("score", this.score, width, height, [trainScore, testScore],
      regression ? ["train R²", "test R²"] : ["train accuracy", "test accuracy"],
      regression ? "R²" : "accuracy", false, !regression);
  }

  _chart(name, canvas, width, height, keys, labels, ylabel, log, asPercent = false) {
    const ctx = sizeCanvas(canvas, width, height);
    ctx.fillStyle = "white";
    ctx.fillRect(0, 0, width, height);
    const epochs = this.history.epoch, n = epochs.length;
    const series = keys.map((k) => this.history[k].map((v) => (log ? Math.log10(Math.max(v, 1e-8)) : v)));
    let lo = Infinity, hi = -Infinity;
    for (const s of series) for (const v of s) if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (asPercent) { lo = Math.min(lo, 0.5); hi = 1; lo = Math.max(0, Math.floor(lo * 10) / 10); }
    if (name === "score" && !asPercent) { lo = Math.max(Math.min(lo, 0), -1); hi = Math.max(hi, 1); }
    const pad = 0.06 * (hi - lo || 1);
    const x0 = n ? epochs[0] : 0, x1 = n ? Math.max(epochs[n - 1], x0 + 1) : 1;
    const area = new Area(width, height, [x0, x1], [lo - (asPercent ? 0.02 : pad), hi + (asPercent ? 0.02 : pad)], { margin: MARGIN });
    this.areas[name] = { area, series, labels, asPercent, log };
    const xticks = epochTicks(x0, x1), yticks = niceTicks(...area.yr);
    area.gridLines(ctx, xticks, yticks);
    const colours = [TRAIN, TEST];
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.x0, area.y0, area.w, area.h);
    ctx.clip();
    const stride = Math.max(1, Math.floor(n / (2 * area.w)));
    series.forEach((s, j) => {
      ctx.strokeStyle = colours[j];
      ctx.lineWidth = 2;
      ctx.setLineDash(j ? [6, 4] : []);
      ctx.beginPath();
      let started = false;
      const shown = [];
      for (let i = 0; i < n; i += stride) shown.push(i);
      if (n && shown[shown.length - 1] !== n - 1) shown.push(n - 1);
      for (const i of shown) {
        const v = s[i];
        if (!isFinite(v)) { started = false; continue; }
        const u = area.u(epochs[i]), w = area.v(v);
        if (started) ctx.lineTo(u, w); else ctx.moveTo(u, w);
        started = true;
      }
      ctx.stroke();
    });
    ctx.setLineDash([]);
    if (this.cursor !== null && this.cursor < n) {
      const u = area.u(epochs[this.cursor]);
      ctx.strokeStyle = "rgba(60,60,60,0.45)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(u, area.y0);
      ctx.lineTo(u, area.y0 + area.h);
      ctx.stroke();
    }
    ctx.restore();
    const yfmt = asPercent ? (t) => `${Math.round(t * 100)}%`
      : log ? (t) => tickLabel(10 ** t) : undefined;
    area.axes(ctx, "epoch", ylabel, { xticks, yticks, xfmt: (t) => Math.round(t).toLocaleString("en-US"), yfmt });
    legend(ctx, labels.map((label, j) => ({ label, fill: colours[j], line: true, dash: j ? [6, 4] : [] })),
      area.x0, 14, area.w);
  }

  // The tooltip text for the cursor at (u, v) on chart `name`, or null.
  hover(name, u, v) {
    const chart = this.areas[name];
    if (!chart || !chart.area.inside(u, v) || !this.history.epoch.length) {
      this.cursor = null;
      return null;
    }
    const epochs = this.history.epoch, e = chart.area.x(u);
    let i = 0;
    while (i + 1 < epochs.length && Math.abs(epochs[i + 1] - e) <= Math.abs(epochs[i] - e)) i++;
    this.cursor = i;
    const parts = chart.series.map((s, j) => {
      const raw = chart.log ? 10 ** s[i] : s[i];
      return `${chart.labels[j]} ${chart.asPercent ? percent(raw) : sig(raw, 4)}`;
    });
    return `epoch ${epochs[i].toLocaleString("en-US")}: ${parts.join(", ")}`;
  }
}

// Whole-number epoch ticks: never "1.2e+2".
function epochTicks(lo, hi) {
  return niceTicks(lo, hi, 5).filter((t) => Number.isInteger(Math.round(t * 1e6) / 1e6)).map(Math.round);
}

export { TRAIN, TEST, TEXT, FONT };
