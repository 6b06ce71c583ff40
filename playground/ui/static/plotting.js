// Drawing helpers shared by the live view's pictures: a plot area mapping data to pixels, its
// axes and legend in the style of the server's still pictures (playground/draw/raster.py), and
// number formats. Everything draws on a 2-D canvas context in CSS pixels.

export const AXIS = "rgb(120,120,120)", GRID = "rgb(232,232,232)", TEXT = "rgb(60,60,60)";
export const TEST_RING = "rgb(34,34,34)";
export const FONT = "11px 'Source Sans Pro', 'Source Sans 3', sans-serif";
export const MARGIN = { left: 50, right: 18, top: 34, bottom: 42 };

// Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi].
export function niceTicks(lo, hi, count = 5) {
  const raw = (hi - lo) / Math.max(count, 1);
  if (!(raw > 0) || !isFinite(raw)) return [lo];
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = power;
  for (const m of [1, 2, 5, 10]) {
    if (Math.abs(Math.log((m * power) / raw)) < Math.abs(Math.log(step / raw))) step = m * power;
  }
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return out;
}

// A tick label without float noise: 0.30000000000000004 -> "0.3", 1200 -> "1,200".
export function tickLabel(v, step = 0) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || (a < 1e-3)) return v.toExponential(0).replace("e+", "e");
  const decimals = step > 0 ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 3;
  return Number(v.toFixed(Math.min(decimals, 6))).toLocaleString("en-US",
    { maximumFractionDigits: 6 });
}

// Significant figures as Python's "{:.3g}" writes them.
export function sig(v, digits = 3) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 10 ** digits) return String(Number(v.toPrecision(digits)));
  return v.toExponential(digits - 1).replace(/\.?0+e/, "e").replace("e+", "e+");
}

export function percent(v, decimals = 1) {
  return v === null || v === undefined || !isFinite(v) ? "–" : `${(100 * v).toFixed(decimals)}%`;
}

// A canvas sized to its CSS box, drawing in CSS pixels at the device's resolution.
export function sizeCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.round(width * ratio), h = Math.round(height * ratio);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

export class Area {
  // The plot area of a width x height picture for data ranges xr, yr; `square` keeps equal
  // units on both axes (maps of the input plane), as the server's pictures do.
  constructor(width, height, xr, yr, { square = false, margin = MARGIN } = {}) {
    this.x0 = margin.left;
    this.y0 = margin.top;
    this.w = width - margin.left - margin.right;
    this.h = height - margin.top - margin.bottom;
    const sx = xr[1] - xr[0], sy = yr[1] - yr[0];
    if (square && sx / sy >= 0.5 && sx / sy <= 2) {
      const unit = Math.min(this.w / sx, this.h / sy);
      this.w = unit * sx;
      this.h = unit * sy;
    }
    this.xr = xr;
    this.yr = yr;
  }
  u(x) { return this.x0 + ((x - this.xr[0]) / (this.xr[1] - this.xr[0])) * this.w; }
  v(y) { return this.y0 + ((this.yr[1] - y) / (this.yr[1] - this.yr[0])) * this.h; }
  x(u) { return this.xr[0] + ((u - this.x0) / this.w) * (this.xr[1] - this.xr[0]); }
  y(v) { return this.yr[1] - ((v - this.y0) / this.h) * (this.yr[1] - this.yr[0]); }
  inside(u, v) {
    return u >= this.x0 && u <= this.x0 + this.w && v >= this.y0 && v <= this.y0 + this.h;
  }

  gridLines(ctx, xticks, yticks) {
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of xticks) {
      const u = Math.round(this.u(t)) + 0.5;
      ctx.moveTo(u, this.y0);
      ctx.lineTo(u, this.y0 + this.h);
    }
    for (const t of yticks) {
      const v = Math.round(this.v(t)) + 0.5;
      ctx.moveTo(this.x0, v);
      ctx.lineTo(this.x0 + this.w, v);
    }
    ctx.stroke();
  }

  axes(ctx, xlabel, ylabel, { xticks, yticks, xfmt, yfmt } = {}) {
    xticks = xticks || niceTicks(...this.xr);
    yticks = yticks || niceTicks(...this.yr);
    const xstep = xticks.length > 1 ? xticks[1] - xticks[0] : 0;
    const ystep = yticks.length > 1 ? yticks[1] - yticks[0] : 0;
    xfmt = xfmt || ((t) => tickLabel(t, xstep));
    yfmt = yfmt || ((t) => tickLabel(t, ystep));
    ctx.strokeStyle = AXIS;
    ctx.lineWidth = 1;
    ctx.strokeRect(Math.round(this.x0) + 0.5, Math.round(this.y0) + 0.5, Math.round(this.w),
      Math.round(this.h));
    ctx.fillStyle = TEXT;
    ctx.font = FONT;
    const bottom = this.y0 + this.h;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.beginPath();
    for (const t of xticks) {
      const u = Math.round(this.u(t)) + 0.5;
      ctx.moveTo(u, bottom);
      ctx.lineTo(u, bottom + 4);
      ctx.fillText(xfmt(t), u, bottom + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of yticks) {
      const v = Math.round(this.v(t)) + 0.5;
      ctx.moveTo(this.x0 - 4, v);
      ctx.lineTo(this.x0, v);
      ctx.fillText(yfmt(t), this.x0 - 6, v);
    }
    ctx.stroke();
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(xlabel, this.x0 + this.w / 2, bottom + 22);
    ctx.save();
    ctx.translate(this.x0 - 38, this.y0 + this.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(ylabel, 0, 0);
    ctx.restore();
  }
}

// One row of swatches above a plot, wrapping when it runs out of room: entries are
// {label, fill, stroke?, dash?} (a dash draws a short line instead of a dot).
export function legend(ctx, entries, x, y, maxWidth) {
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  const start = x;
  for (const e of entries) {
    const w = 20 + ctx.measureText(e.label).width + 12;
    if (x > start && x + w > start + maxWidth) {
      x = start;
      y += 15;
    }
    if (e.line) {
      ctx.strokeStyle = e.fill;
      ctx.lineWidth = 2.5;
      ctx.setLineDash(e.dash || []);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 14, y);
      ctx.stroke();
      ctx.setLineDash([]);
    } else {
      dot(ctx, x + 5, y, 4.5, e.fill, e.stroke || null);
    }
    ctx.fillStyle = TEXT;
    ctx.fillText(e.label, x + 18, y);
    x += w;
  }
  return y;
}

export function dot(ctx, u, v, r, fill, stroke, lineWidth = 1.2) {
  ctx.beginPath();
  ctx.arc(u, v, r, 0, 2 * Math.PI);
  if (fill) {
    ctx.fillStyle = fill;
    ctx.fill();
  }
  if (stroke) {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = lineWidth;
    ctx.stroke();
  }
}

export function rgbOf(lut, i) {
  return `rgb(${lut[3 * i]},${lut[3 * i + 1]},${lut[3 * i + 2]})`;
}

export function hexToRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

// A uint8 value grid (rows bottom-up, as datasets.grid lays it out) painted into an offscreen
// canvas through `colour(value index) -> [r, g, b]` tables; returns the canvas (r x r pixels).
export function gridImage(cache, values, rows, cols, paint) {
  if (!cache.canvas) cache.canvas = document.createElement("canvas");
  if (cache.canvas.width !== cols || cache.canvas.height !== rows || !cache.image) {
    cache.canvas.width = cols;
    cache.canvas.height = rows;
    cache.image = cache.canvas.getContext("2d").createImageData(cols, rows);
  }
  const px = cache.image.data;
  for (let i = 0; i < rows; i++) {
    const src = i * cols, dst = (rows - 1 - i) * cols; // image rows run top down
    for (let j = 0; j < cols; j++) {
      paint(px, 4 * (dst + j), src + j);
    }
  }
  cache.canvas.getContext("2d").putImageData(cache.image, 0, 0);
  return cache.canvas;
}

export function tooltip(el, text, x, y) {
  if (text === null) {
    el.style.display = "none";
    return;
  }
  el.textContent = text;
  el.style.display = "block";
  const box = el.parentElement.getBoundingClientRect();
  const w = el.offsetWidth, h = el.offsetHeight;
  el.style.left = `${Math.min(Math.max(x + 14, 0), box.width - w - 4)}px`;
  el.style.top = `${y + h + 24 > box.height ? y - h - 10 : y + 16}px`;
}
