// The main picture: what the model does over its data, redrawn from every frame.
// 2-D: the decision boundary (or predicted surface) under the points; 1-D: the learned function
// or class probabilities; more inputs: the test points on their first two principal axes,
// coloured by the guess, or predicted against true targets (regression).
import {
  Area, TEST_RING, TEXT, FONT, dot, gridImage, hexToRgb, legend, niceTicks, rgbOf, sig, sizeCanvas,
} from "./plotting.js";
import { forward } from "./model.js";

const SHADES = 64;
const PREDICTION = "rgb(8,119,189)";

export class Picture {
  constructor(root) {
    // 2-D: the model's grid is a small canvas the browser scales under the points, axes and
    // legend, which are redrawn only when they change; other views redraw in one canvas.
    this.box = document.createElement("div");
    this.box.className = "mlp-layers";
    this.bg = document.createElement("canvas");
    this.bg.className = "mlp-grid";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "mlp-main";
    this.canvas.setAttribute("data-testid", "mlpMainPicture");
    this.box.append(this.bg, this.canvas);
    root.appendChild(this.box);
    this.fgKey = "";
    this.digits = document.createElement("canvas");
    this.digits.className = "mlp-digits";
    root.appendChild(this.digits);
    this.cache = {};
    this.area = null;
    this.guide = null; // 1-D: the x under the cursor
  }

  draw(structure, frame, options, width) {
    const h = structure.header;
    this.structure = structure;
    this.frame = frame;
    const height = Math.round(width * 470 / 560);
    this.box.style.width = `${width}px`;
    this.box.style.height = `${height}px`;
    const plane = h.dim === 2 && h.box;
    this.bg.style.display = plane ? "block" : "none";
    if (plane) {
      this._plane(width, height, options);
    } else {
      this.fgKey = "";
      const ctx = sizeCanvas(this.canvas, width, height);
      ctx.fillStyle = "white";
      ctx.fillRect(0, 0, width, height);
      if (h.dim === 1 && h.box) this._line(ctx, width, height, options);
      else if (h.task === "regression") this._fit(ctx, width, height);
      else this._projection(ctx, width, height);
    }
    this._digits(width);
  }

  // ---- 2-D -------------------------------------------------------------------------------
  _plane(width, height, options) {
    const { header: h, arrays: a } = this.structure, f = this.frame.arrays;
    const box = h.box;
    const area = (this.area = new Area(width, height, [box[0], box[1]], [box[2], box[3]],
      { square: true }));
    if (f.grid) {
      this.cache.canvas = this.bg;
      gridImage(this.cache, f.grid.data, h.grid, h.grid,
        this._painter(f.grid.data, options.discretize));
      Object.assign(this.bg.style, { left: `${area.x0}px`, top: `${area.y0}px`,
        width: `${area.w}px`, height: `${area.h}px` });
    }
    const key = [width, h.version, options.showTest, this.structure.seq].join();
    if (key === this.fgKey) return;
    this.fgKey = key;
    const ctx = sizeCanvas(this.canvas, width, height);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "white"; // white outside the plot area; the grid shows through inside
    ctx.fillRect(0, 0, width, area.y0);
    ctx.fillRect(0, area.y0 + area.h, width, height - area.y0 - area.h);
    ctx.fillRect(0, area.y0, area.x0, area.h);
    ctx.fillRect(area.x0 + area.w, area.y0, width - area.x0 - area.w, area.h);
    const points = (X, y, ring) => {
      const n = y.data.length;
      for (let i = 0; i < n; i++) {
        const u = area.u(X.data[2 * i]), v = area.v(X.data[2 * i + 1]);
        if (area.inside(u, v)) dot(ctx, u, v, 3.5, this._pointColour(y.data[i]), ring);
      }
    };
    points(a.X_train, a.y_train, "white");
    if (options.showTest) points(a.X_test, a.y_test, TEST_RING);
    area.axes(ctx, h.axes[0], h.axes[1]);
    legend(ctx, this._legend(options.showTest), area.x0, 17, area.w);
  }

  _painter(values, discretize) {
    const { header: h, arrays: a } = this.structure;
    if (h.task === "multiclass") {
      const lut = a.lut_classes.data;
      return (px, o, i) => {
        const k = values[2 * i], shade = discretize ? SHADES : values[2 * i + 1];
        const s = 3 * (k * (SHADES + 1) + shade);
        px[o] = lut[s]; px[o + 1] = lut[s + 1]; px[o + 2] = lut[s + 2]; px[o + 3] = 255;
      };
    }
    const lut = a.lut_background.data, binary = h.task === "binary";
    return (px, o, i) => {
      let v = values[i];
      if (discretize && binary) v = v >= 128 ? 255 : 0;
      px[o] = lut[3 * v]; px[o + 1] = lut[3 * v + 1]; px[o + 2] = lut[3 * v + 2]; px[o + 3] = 255;
    };
  }

  _pointColour(label) {
    const { header: h, arrays: a } = this.structure;
    if (h.task === "regression") {
      const [lo, hi] = h.value_range;
      const t = Math.max(0, Math.min(255, Math.round(((label - lo) / (hi - lo)) * 255)));
      return rgbOf(a.lut_node.data, t);
    }
    return h.class_colours[label % h.class_colours.length];
  }

  _legend(withTest) {
    const h = this.structure.header, lut = this.structure.arrays.lut_node.data;
    let entries;
    if (h.task === "regression") {
      entries = [{ label: "low target", fill: rgbOf(lut, 0) },
        { label: "high target", fill: rgbOf(lut, 255) }];
    } else {
      entries = h.class_names.map((name, k) => ({
        label: classLabel(h, k), fill: h.class_colours[k % h.class_colours.length] }));
    }
    if (withTest) entries.push({ label: "test (dark ring)", fill: "white", stroke: TEST_RING });
    return entries;
  }

  // ---- 1-D -------------------------------------------------------------------------------
  _line(ctx, width, height, options) {
    const { header: h, arrays: a } = this.structure, f = this.frame.arrays;
    const xs = linspace(h.box[0], h.box[1], h.grid);
    const curves = f.curve;
    let yr = [-0.12, 1.08];
    if (h.task === "regression") {
      let lo = Infinity, hi = -Infinity;
      for (const arr of [a.y_train.data, a.y_test.data, curves ? curves.data : []]) {
        for (const v of arr) if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
      const pad = 0.08 * (hi - lo || 1);
      yr = [lo - pad, hi + pad];
    }
    const area = (this.area = new Area(width, height, [h.box[0], h.box[1]], yr));
    area.gridLines(ctx, niceTicks(...area.xr), niceTicks(...area.yr));
    const points = (X, y, ring) => {
      for (let i = 0; i < y.data.length; i++) {
        const label = y.data[i];
        let yy = label, fill = "rgb(150,150,150)";
        if (h.task === "binary") fill = h.class_colours[label];
        if (h.task === "multiclass") {
          yy = -0.04 - 0.025 * label;
          fill = h.class_colours[label % 10];
        }
        const u = area.u(X.data[i]), v = area.v(yy);
        if (area.inside(u, v)) dot(ctx, u, v, h.task === "multiclass" ? 2.5 : 3, fill, ring);
      }
    };
    points(a.X_train, a.y_train, "white");
    if (options.showTest) points(a.X_test, a.y_test, TEST_RING);
    if (curves) {
      const [k, n] = curves.shape;
      for (let c = 0; c < k; c++) {
        ctx.strokeStyle = h.task === "regression" ? PREDICTION
          : h.class_colours[(h.task === "binary" ? 1 : c) % 10];
        ctx.lineWidth = 2.5;
        ctx.lineJoin = "round";
        ctx.beginPath();
        for (let i = 0; i < n; i++) {
          const v = curves.data[c * n + i];
          const u = area.u(xs[i]), w = area.v(Math.max(yr[0], Math.min(yr[1], v)));
          if (i) ctx.lineTo(u, w); else ctx.moveTo(u, w);
        }
        ctx.stroke();
      }
    }
    if (this.guide !== null) {
      ctx.strokeStyle = "rgba(60,60,60,0.5)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(area.u(this.guide), area.y0);
      ctx.lineTo(area.u(this.guide), area.y0 + area.h);
      ctx.stroke();
    }
    const ylabel = h.task === "regression" ? "y" : h.task === "binary"
      ? `P(${classLabel(h, 1)})` : "P(class)";
    area.axes(ctx, h.axes[0], ylabel);
    const entries = h.task === "regression" ? [{ label: "prediction", fill: PREDICTION, line: true }]
      : h.class_names.map((_, k) => ({ label: classLabel(h, k), fill: h.class_colours[k % 10] }));
    if (options.showTest) entries.push({ label: "test (dark ring)", fill: "white", stroke: TEST_RING });
    legend(ctx, entries, area.x0, 17, area.w);
  }

  // ---- more inputs -------------------------------------------------------------------------
  _projection(ctx, width, height) {
    const { header: h, arrays: a } = this.structure, f = this.frame.arrays;
    const P = a.proj_test.data, truth = a.y_test.data, guess = f.pred_test ? f.pred_test.data : null;
    const n = truth.length;
    const [xr, yr] = ranges(P, n);
    const area = (this.area = new Area(width, height, xr, yr));
    area.gridLines(ctx, niceTicks(...xr), niceTicks(...yr));
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const u = area.u(P[2 * i]), v = area.v(P[2 * i + 1]);
      const g = guess ? guess[i] : truth[i];
      if (g === truth[i]) dot(ctx, u, v, 3, h.class_colours[g % 10], "white");
    }
    for (let i = 0; i < n; i++) {
      if (!guess || guess[i] === truth[i]) continue;
      wrong++;
      const u = area.u(P[2 * i]), v = area.v(P[2 * i + 1]);
      ctx.strokeStyle = h.class_colours[truth[i] % 10];
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(u - 4, v - 4); ctx.lineTo(u + 4, v + 4);
      ctx.moveTo(u - 4, v + 4); ctx.lineTo(u + 4, v - 4);
      ctx.stroke();
    }
    area.axes(ctx, h.axes[0], h.axes[1]);
    const entries = [{ label: "dot: right (colour = guess)", fill: "rgb(200,200,200)" },
      { label: `cross: wrong (${wrong}, colour = truth)`, fill: "rgb(90,90,90)" },
      ...h.class_names.map((name, k) => ({ label: classLabel(h, k), fill: h.class_colours[k % 10] }))];
    legend(ctx, entries, area.x0, 10, area.w);
  }

  _fit(ctx, width, height) {
    const { header: h, arrays: a } = this.structure, f = this.frame.arrays;
    const t = a.y_test.data, p = f.pred_test ? f.pred_test.data : t;
    let lo = Infinity, hi = -Infinity;
    for (const arr of [t, p]) for (const v of arr) if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const pad = 0.05 * (hi - lo || 1);
    const r = [lo - pad, hi + pad];
    const area = (this.area = new Area(width, height, r, r, { square: true }));
    area.gridLines(ctx, niceTicks(...r), niceTicks(...r));
    ctx.strokeStyle = "rgb(190,190,190)";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(area.u(r[0]), area.v(r[0]));
    ctx.lineTo(area.u(r[1]), area.v(r[1]));
    ctx.stroke();
    const lut = a.lut_node.data;
    for (let i = 0; i < t.length; i++) {
      const c = Math.max(0, Math.min(255, Math.round(((t[i] - lo) / (hi - lo || 1)) * 255)));
      dot(ctx, area.u(t[i]), area.v(p[i]), 3, rgbOf(lut, c), "rgb(120,120,120)");
    }
    area.axes(ctx, h.axes[0], h.axes[1]);
    legend(ctx, [{ label: "test point (colour = true target)", fill: "rgb(200,200,200)",
      stroke: "rgb(120,120,120)" }, { label: "perfect prediction", fill: "rgb(190,190,190)" }],
    area.x0, 17, area.w);
  }

  _digits(width) {
    const s = this.structure, f = this.frame.arrays;
    if (!s.header.digits || !f.pred_test) {
      this.digits.style.display = "none";
      return;
    }
    const images = s.arrays.images_test.data, truth = s.arrays.y_test.data, guess = f.pred_test.data;
    const wrong = [];
    for (let i = 0; i < truth.length && wrong.length < 24; i++) if (guess[i] !== truth[i]) wrong.push(i);
    const cell = 40, pad = 12, caption = 15, columns = Math.max(4, Math.floor((width - pad) / (cell + pad)));
    const rows = Math.max(1, Math.ceil(wrong.length / columns));
    const height = 22 + rows * (cell + pad + caption);
    this.digits.style.display = "block";
    const ctx = sizeCanvas(this.digits, width, height);
    ctx.fillStyle = "white";
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = TEXT;
    ctx.font = FONT;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(wrong.length ? "Test digits the model gets wrong: true class → its guess"
      : "No mistakes on the test set", pad, 4);
    const tile = ctx.createImageData(8, 8);
    const off = document.createElement("canvas");
    off.width = off.height = 8;
    wrong.forEach((i, slot) => {
      for (let p = 0; p < 64; p++) {
        const g = 255 - images[64 * i + p];
        tile.data.set([g, g, g, 255], 4 * p);
      }
      off.getContext("2d").putImageData(tile, 0, 0);
      const x = pad + (slot % columns) * (cell + pad), y = 22 + Math.floor(slot / columns) * (cell + pad + caption);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, x, y, cell, cell);
      ctx.textAlign = "center";
      ctx.fillText(`${truth[i]} → ${guess[i]}`, x + cell / 2, y + cell + 2);
    });
  }

  // ---- hover -------------------------------------------------------------------------------
  // Text for the cursor at canvas position (u, v), or null outside the plot.
  hover(u, v) {
    if (!this.area || !this.frame) return null;
    const { header: h } = this.structure;
    if (!this.area.inside(u, v)) {
      if (this.guide !== null) this.guide = null;
      return null;
    }
    const x = this.area.x(u), y = this.area.y(v);
    if (h.dim === 2 && h.box) return `${h.axes[0]} = ${sig(x)}, ${h.axes[1]} = ${sig(y)} · ${this._output([x, y])}`;
    if (h.dim === 1 && h.box) {
      this.guide = x;
      return `${h.axes[0]} = ${sig(x)} · ${this._output([x])}`;
    }
    return this._nearest(u, v);
  }

  // The model's output at a raw point: computed exactly when the frame has every weight, else
  // read from the nearest grid cell ("≈").
  _output(point) {
    const { header: h } = this.structure;
    const exact = !!this.frame.arrays.Wfull0;
    let values;
    if (exact) values = forward(this.structure, this.frame, point);
    else values = this._fromGrid(point);
    if (!values) return "";
    const eq = exact ? "=" : "≈";
    if (h.task === "binary") return `P(${classLabel(h, 1)}) ${eq} ${values[0].toFixed(3)}`;
    if (h.task === "regression") return `prediction ${eq} ${sig(values[0], 4)}`;
    let best = 0;
    values.forEach((p, k) => { if (p > values[best]) best = k; });
    if (values.length === 1) return `likeliest: ${classLabel(h, best)}`;
    return `likeliest: ${classLabel(h, best)}, P ${eq} ${values[best].toFixed(3)}`;
  }

  _fromGrid(point) {
    const { header: h } = this.structure, f = this.frame.arrays;
    const r = h.grid;
    const col = Math.round(((point[0] - h.box[0]) / (h.box[1] - h.box[0])) * (r - 1));
    if (h.dim === 1) {
      if (!f.curve) return null;
      const [k, n] = f.curve.shape;
      return Array.from({ length: k }, (_, c) => f.curve.data[c * n + col]);
    }
    if (!f.grid) return null;
    const row = Math.round(((point[1] - h.box[2]) / (h.box[3] - h.box[2])) * (r - 1));
    const i = row * r + col;
    if (h.task === "multiclass") {
      const k = f.grid.data[2 * i], shade = f.grid.data[2 * i + 1], n = h.n_classes;
      const p = 1 / n + (1 - 1 / n) * (shade / SHADES);
      const out = new Array(n).fill((1 - p) / Math.max(n - 1, 1));
      out[k] = p;
      return out;
    }
    const t = f.grid.data[i] / 255;
    if (h.task === "binary") return [t];
    const [lo, hi] = h.value_range;
    return [lo + t * (hi - lo)];
  }

  _nearest(u, v) {
    const { header: h, arrays: a } = this.structure, f = this.frame.arrays;
    const truth = a.y_test.data;
    let best = -1, dist = 64;
    for (let i = 0; i < truth.length; i++) {
      const pu = h.task === "regression" ? this.area.u(truth[i]) : this.area.u(a.proj_test.data[2 * i]);
      const pv = h.task === "regression" ? this.area.v(f.pred_test.data[i]) : this.area.v(a.proj_test.data[2 * i + 1]);
      const d = (pu - u) ** 2 + (pv - v) ** 2;
      if (d < dist) { dist = d; best = i; }
    }
    if (best < 0) return null;
    if (h.task === "regression") return `test point: target ${sig(truth[best], 4)}, predicted ${sig(f.pred_test.data[best], 4)}`;
    const g = f.pred_test ? f.pred_test.data[best] : truth[best];
    return `test point: ${classLabel(h, truth[best])}, guessed ${classLabel(h, g)}`;
  }
}

export function classLabel(h, k) {
  const name = h.class_names[k];
  return /^\d+$/.test(name) ? `class ${name}` : name;
}

function linspace(a, b, n) {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

function ranges(P, n) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, P[2 * i]); x1 = Math.max(x1, P[2 * i]);
    y0 = Math.min(y0, P[2 * i + 1]); y1 = Math.max(y1, P[2 * i + 1]);
  }
  const px = 0.05 * (x1 - x0 + 1e-9), py = 0.05 * (y1 - y0 + 1e-9);
  return [[x0 - px, x1 + px], [y0 - py, y1 + py]];
}
