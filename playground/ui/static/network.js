// The network as TensorFlow Playground draws it: every input, neuron and output a node showing
// its own output over the input space, every weight an edge (blue positive, orange negative,
// wider when larger). Hover names a node and its bias, or an edge and its weight; clicking a
// node shows it large ("look closer"); at rest, clicking an edge edits its weight.
import { Area, TEXT, FONT, dot, gridImage, hexToRgb, legend, rgbOf, sig, sizeCanvas } from "./plotting.js";

const NODE = 34, ROW = 46;
const POSITIVE = [8, 119, 189], NEGATIVE = [245, 147, 34];

export function edgeWidth(w) {
  // as playground/draw/diagram.py: 0.5 px for 0, growing with |w| to 7 px at |w| >= 2.5
  return 0.5 + (6.5 * Math.min(Math.abs(w), 2.5)) / 2.5;
}

export class Network {
  constructor(root) {
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("data-testid", "mlpNetwork");
    this.canvas.className = "mlp-network";
    this.closer = document.createElement("canvas");
    this.closer.setAttribute("data-testid", "mlpCloser");
    this.closerGrid = document.createElement("canvas");
    this.closerGrid.className = "mlp-grid";
    this.closerBox = document.createElement("div");
    this.closerBox.className = "mlp-layers";
    this.closerBox.append(this.closerGrid, this.closer);
    this.caption = document.createElement("div");
    this.caption.className = "mlp-caption";
    root.network.append(this.canvas);
    root.closer.append(this.closerBox, this.caption);
    this.tiles = []; // each node's picture, an offscreen canvas drawn into the diagram
    this.closerKey = "";
    this.caches = [];
    this.closerCache = {};
    this.nodes = [];
    this.edges = [];
  }

  rows(layers) {
    return Math.max(...layers.map((l) => l.units.length + (l.units.length < l.width ? 1 : 0)));
  }

  draw(structure, frame, width, closerWidth) {
    this.structure = structure;
    this.frame = frame;
    // The node shown large comes only when it changed: keep the last one sent.
    if (frame.arrays.closer) {
      this.held = { closer: frame.arrays.closer, closer_scale: frame.arrays.closer_scale,
        at: String(frame.header.closer), seq: structure.seq };
    }
    const h = structure.header, layers = h.layers, rows = this.rows(layers);
    const height = Math.round(ROW * (rows + 1.6));
    const ctx = sizeCanvas(this.canvas, width, height);
    ctx.fillStyle = "white";
    ctx.fillRect(0, 0, width, height);
    const L = layers.length;
    const [x0, x1] = [-0.6, L - 0.55 + 0.35], [y0, y1] = [-1.3, rows + 0.3];
    const px = (x) => ((x - x0) / (x1 - x0)) * width;
    const py = (y) => ((y - y0) / (y1 - y0)) * height;
    const rowOf = (layer, i) => (rows - layers[layer].units.length) / 2 + i;
    this.nodes = [];
    layers.forEach((layer, li) => layer.units.forEach((unit, i) => {
      this.nodes.push({ layer: li, unit, index: i, x: px(li), y: py(rowOf(li, i)), name: layer.names[i] });
    }));
    this._edges(ctx, layers, px, py, rowOf);
    this._nodes(ctx, h);
    this._labels(ctx, layers, px, py, rowOf, rows);
    this._closer(closerWidth);
  }

  _edges(ctx, layers, px, py, rowOf) {
    this.edges = [];
    const f = this.frame.arrays;
    for (let li = 0; li + 1 < layers.length; li++) {
      const W = f[`W${li}`] || f[`Wfull${li}`];
      if (!W) continue;
      const [nOut, nIn] = W.shape;
      for (let o = 0; o < nOut; o++) {
        for (let i = 0; i < nIn; i++) {
          const w = W.data[o * nIn + i];
          const e = { layer: li, out: layers[li + 1].units[o], in: layers[li].units[i], w,
            x1: px(li), y1: py(rowOf(li, i)), x2: px(li + 1), y2: py(rowOf(li + 1, o)),
            from: layers[li].names[i], to: layers[li + 1].names[o] };
          this.edges.push(e);
          const c = w >= 0 ? POSITIVE : NEGATIVE;
          ctx.strokeStyle = `rgba(${c[0]},${c[1]},${c[2]},0.75)`;
          ctx.lineWidth = edgeWidth(w);
          ctx.lineCap = "round";
          ctx.beginPath();
          ctx.moveTo(e.x1, e.y1);
          ctx.lineTo(e.x2, e.y2);
          ctx.stroke();
        }
      }
    }
  }

  // The nodes are painted into the network's own canvas (one element for the whole diagram:
  // the browser composites one layer per frame, not one per node).
  _nodes(ctx, h) {
    while (this.tiles.length < this.nodes.length) this.tiles.push(document.createElement("canvas"));
    const pictures = h.pictures ? this._pictures(h) : [];
    ctx.imageSmoothingEnabled = true;
    this.nodes.forEach((n, k) => {
      const x = n.x - NODE / 2, y = n.y - NODE / 2;
      ctx.fillStyle = h.pictures ? "white" : "rgb(243,243,243)";
      ctx.fillRect(x, y, NODE, NODE);
      if (pictures[k]) ctx.drawImage(pictures[k], x, y, NODE, NODE);
      const selected = this.selected && this.selected[0] === n.layer && this.selected[1] === n.unit;
      const line = selected ? 2.5 : 1; // an outline 1 px off the picture, as a CSS outline
      ctx.strokeStyle = selected ? "rgb(245,147,34)" : "rgb(85,85,85)";
      ctx.lineWidth = line;
      ctx.strokeRect(x - 1 - line / 2, y - 1 - line / 2, NODE + 2 + line, NODE + 2 + line);
    });
  }

  // Each node's picture painted into its own small offscreen canvas (its tile).
  _pictures(h) {
    const s = this.structure.arrays, f = this.frame.arrays, t = h.thumb;
    const size = h.dim === 2 ? t * t : t;
    const nIn = h.layers[0].units.length;
    return this.nodes.map((n, k) => {
      this.caches[k] = this.caches[k] || {};
      this.caches[k].canvas = this.tiles[k];
      let values, offset, kind = "signed";
      if (n.layer === 0) { values = s.inputs.data; offset = k * size; }
      else {
        values = f.nodes.data;
        offset = (k - nIn) * size;
        if (n.layer === h.layers.length - 1 && h.task !== "regression") kind = h.task === "binary" ? "p" : n.unit;
      }
      return this._picture(this.caches[k], values.subarray(offset, offset + size), h, kind);
    });
  }

  _picture(cache, values, h, kind) {
    const lut = this.structure.arrays.lut_node.data, t = h.thumb;
    if (h.dim === 2) {
      const paint = colourer(lut, kind, h);
      return gridImage(cache, values, t, t, (px, o, i) => paint(px, o, values[i]));
    }
    // 1-D: a small line plot, the zero line in grey
    if (cache.canvas.width !== 68) cache.canvas.width = cache.canvas.height = 68;
    const c = cache.canvas.getContext("2d");
    c.fillStyle = "white";
    c.fillRect(0, 0, 68, 68);
    c.fillStyle = "rgb(210,210,210)";
    c.fillRect(0, 33, 68, 2);
    c.strokeStyle = `rgb(${POSITIVE.join(",")})`;
    c.lineWidth = 4;
    c.beginPath();
    for (let i = 0; i < t; i++) {
      const v = (values[i] - 127.5) / 127.5; // -1..1 (probabilities: 2p - 1)
      const x = (i / (t - 1)) * 68, y = 34 - 30 * v;
      if (i) c.lineTo(x, y); else c.moveTo(x, y);
    }
    c.stroke();
    return cache.canvas;
  }

  _labels(ctx, layers, px, py, rowOf, rows) {
    ctx.fillStyle = TEXT;
    ctx.font = "500 12px 'Source Sans Pro', sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const last = layers.length - 1;
    layers.forEach((l, li) => {
      ctx.fillText(li && li < last ? `${l.title} · ${l.width}` : l.title, px(li), py(-0.85));
      if (l.units.length < l.width) {
        ctx.fillText(`+ ${l.width - l.units.length} more`, px(li), py(rowOf(li, l.units.length - 1) + 0.85));
      }
    });
    ctx.font = FONT.replace("11px", "12px");
    for (const n of this.nodes) {
      if (n.layer === 0) {
        ctx.textAlign = "right";
        ctx.fillText(n.name, n.x - NODE / 2 - 6, n.y);
      } else if (n.layer === last) {
        ctx.textAlign = "left";
        ctx.fillText(n.name, n.x + NODE / 2 + 6, n.y);
      }
    }
  }

  // ---- look closer ---------------------------------------------------------------------------
  _closer(width) {
    const h = this.structure.header, held = this.held;
    const f = held && held.seq === this.structure.seq && held.at === String(this.frame.header.closer)
      ? held : {};
    if (!h.pictures || !f.closer || !this.frame.header.closer) {
      this.closerBox.style.display = "none";
      this.caption.textContent = h.pictures ? "" : "Pictures of each neuron need 1-D or 2-D data.";
      return;
    }
    this.closerBox.style.display = "block";
    const [layer, unit] = this.frame.header.closer;
    this.selected = [layer, unit];
    const name = h.layers[layer].units.includes(unit)
      ? h.layers[layer].names[h.layers[layer].units.indexOf(unit)] : unitName(h, layer, unit);
    const height = Math.round(width * 0.95);
    this.closerBox.style.width = `${width}px`;
    this.closerBox.style.height = `${height}px`;
    const margin = { left: h.dim === 2 ? 40 : 54, right: 10, top: 30, bottom: 36 };
    const lut = this.structure.arrays.lut_node.data;
    const last = layer === h.layers.length - 1;
    const kind = last && h.task !== "regression" ? (h.task === "binary" ? "p" : unit) : "signed";
    const key = [width, layer, unit, this.structure.seq].join();
    const redraw = h.dim !== 2 || key !== this.closerKey;
    const ctx = redraw ? sizeCanvas(this.closer, width, height) : null;
    if (redraw) ctx.clearRect(0, 0, width, height);
    if (h.dim === 2) {
      const box = h.box;
      const area = new Area(width, height, [box[0], box[1]], [box[2], box[3]], { square: true, margin });
      const paint = colourer(lut, kind, h);
      this.closerCache.canvas = this.closerGrid;
      gridImage(this.closerCache, f.closer.data, h.big, h.big, (px, o, i) => paint(px, o, f.closer.data[i]));
      Object.assign(this.closerGrid.style, { display: "block", left: `${area.x0}px`, top: `${area.y0}px`,
        width: `${area.w}px`, height: `${area.h}px` });
      if (!redraw) return;
      this.closerKey = key;
      ctx.fillStyle = "white";
      ctx.fillRect(0, 0, width, area.y0);
      ctx.fillRect(0, area.y0 + area.h, width, height - area.y0 - area.h);
      ctx.fillRect(0, area.y0, area.x0, area.h);
      ctx.fillRect(area.x0 + area.w, area.y0, width - area.x0 - area.w, area.h);
      const X = this.structure.arrays.X_train.data, y = this.structure.arrays.y_train.data;
      for (let i = 0; i < y.length; i++) {
        const u = area.u(X[2 * i]), v = area.v(X[2 * i + 1]);
        const fill = h.task === "regression" ? "rgb(150,150,150)" : h.class_colours[y[i] % 10];
        if (area.inside(u, v)) dot(ctx, u, v, 2.5, fill, "white", 1);
      }
      area.axes(ctx, h.axes[0], h.axes[1]);
    } else {
      this.closerGrid.style.display = "none";
      ctx.fillStyle = "white";
      ctx.fillRect(0, 0, width, height);
      const n = f.closer.data.length;
      let lo = Infinity, hi = -Infinity;
      for (const v of f.closer.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const scale = f.closer_scale.data[0];
      const toValue = (v) => (kind === "signed" ? ((v - 127.5) / 127.5) * scale : v / 255);
      const area = new Area(width, height, [h.box[0], h.box[1]], [Math.min(toValue(lo), 0) - 0.05, Math.max(toValue(hi), 0) + 0.05], { margin });
      ctx.strokeStyle = `rgb(${POSITIVE.join(",")})`;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        const x = h.box[0] + ((h.box[1] - h.box[0]) * i) / (n - 1);
        const u = area.u(x), v = area.v(toValue(f.closer.data[i]));
        if (i) ctx.lineTo(u, v); else ctx.moveTo(u, v);
      }
      ctx.stroke();
      area.axes(ctx, h.axes[0], "output");
    }
    const ends = kind === "signed" ? [["below 0", rgbOf(lut, 0)], ["above 0", rgbOf(lut, 255)]]
      : kind === "p" ? [["0", rgbOf(lut, 0)], ["1", rgbOf(lut, 255)]]
        : [["0", "white"], ["1", h.class_colours[kind % 10]]];
    const entries = h.dim === 2
      ? [{ label: `${name}: ${ends[0][0]}`, fill: ends[0][1], stroke: "rgb(180,180,180)" },
        { label: ends[1][0], fill: ends[1][1] }]
      : [{ label: `${name}'s output at each ${h.axes[0]}`, fill: `rgb(${POSITIVE.join(",")})`, line: true }];
    legend(ctx, entries, margin.left, 14, width - margin.left);
    this.caption.textContent = `What it outputs at each point of the input space: ${name}. ` +
      "Click any node in the network to look closer at it.";
  }

  // ---- hover and clicks ------------------------------------------------------------------------
  nodeAt(u, v) {
    return this.nodes.find((n) => Math.abs(n.x - u) <= NODE / 2 + 2 && Math.abs(n.y - v) <= NODE / 2 + 2) || null;
  }

  edgeAt(u, v) {
    let best = null, bestD = Infinity;
    for (const e of this.edges) {
      const d = segmentDistance(u, v, e);
      const reach = Math.max(4, edgeWidth(e.w) / 2 + 2);
      if (d <= reach && d < bestD) { best = e; bestD = d; }
    }
    return best;
  }

  hover(u, v) {
    const n = this.nodeAt(u, v);
    if (n) return { kind: "node", node: n, text: this._nodeText(n) };
    const e = this.edgeAt(u, v);
    if (e) return { kind: "edge", edge: e, text: `${e.from} → ${e.to}: weight ${signed(e.w)}` };
    return null;
  }

  bias(layer, unit) {
    const h = this.structure.header, f = this.frame.arrays;
    const b = f[`b${layer - 1}`] || f[`bfull${layer - 1}`];
    if (!b) return null;
    return b.data[h.layers[layer].units.indexOf(unit)];
  }

  _nodeText(n) {
    const h = this.structure.header;
    if (n.layer === 0) return `${n.name} (input)`;
    const b = this.bias(n.layer, n.unit);
    if (b === null || b === undefined) return `${n.name} · no bias (batch norm shifts it)`;
    return `${n.name} · bias ${signed(b)}`;
  }
}

function signed(v) {
  return (v >= 0 ? "+" : "") + v.toFixed(4);
}

function unitName(h, layer, unit) {
  return layer === 0 ? `input ${unit + 1}` : `h${layer}.${unit + 1}`;
}

// value (uint8) -> RGBA written at px[o]: "signed" 128 = white through orange/blue, "p" the
// same scale as a probability, or a class index k: white to that class's colour.
function colourer(lut, kind, h) {
  if (kind === "signed" || kind === "p") {
    return (px, o, v) => { px[o] = lut[3 * v]; px[o + 1] = lut[3 * v + 1]; px[o + 2] = lut[3 * v + 2]; px[o + 3] = 255; };
  }
  const c = hexToRgb(h.class_colours[kind % h.class_colours.length]);
  return (px, o, v) => {
    const t = v / 255;
    px[o] = Math.round(255 + t * (c[0] - 255));
    px[o + 1] = Math.round(255 + t * (c[1] - 255));
    px[o + 2] = Math.round(255 + t * (c[2] - 255));
    px[o + 3] = 255;
  };
}

function segmentDistance(u, v, e) {
  const dx = e.x2 - e.x1, dy = e.y2 - e.y1;
  const t = Math.max(0, Math.min(1, ((u - e.x1) * dx + (v - e.y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(u - (e.x1 + t * dx), v - (e.y1 + t * dy));
}
