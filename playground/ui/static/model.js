// The model's output at one point, computed in the browser from the frame's weights, so the
// hover shows the exact value while the network trains (small networks without batch norm;
// bigger ones read the value off the grid). Mirrors playground/nn/model.py's activations and
// playground/datasets.py's input features and standardization.

function erf(x) {
  // Abramowitz & Stegun 7.1.26 refined (|error| < 1.2e-7): enough for GELU at a cursor.
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196
    + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398
    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? y : -y;
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

export const ACTIVATIONS = {
  relu: (z) => Math.max(0, z),
  leaky_relu: (z) => (z > 0 ? z : 0.01 * z),
  elu: (z) => (z > 0 ? z : Math.expm1(z)),
  gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
  silu: (z) => z * sigmoid(z),
  tanh: Math.tanh,
  sigmoid,
  identity: (z) => z,
};

const FEATURES = {
  x1: (a, b) => a, x2: (a, b) => b, x1sq: (a, b) => a * a, x2sq: (a, b) => b * b,
  x1x2: (a, b) => a * b, sin_x1: (a, b) => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
};

// Raw point (1 or 2 coordinates) -> outputs: [P(class 1)], each class's P, or [prediction].
export function forward(structure, frame, point) {
  const { features, activation, task, dim } = structure.header;
  const mean = structure.arrays.mean.data, std = structure.arrays.std.data;
  let x = dim === 2 ? features.map((f) => FEATURES[f](point[0], point[1])) : [point[0]];
  x = x.map((v, i) => (v - mean[i]) / std[i]);
  const act = ACTIVATIONS[activation];
  for (let layer = 0; frame.arrays[`Wfull${layer}`]; layer++) {
    const W = frame.arrays[`Wfull${layer}`], b = frame.arrays[`bfull${layer}`].data;
    const [out, inn] = W.shape;
    const z = new Array(out);
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let i = 0; i < inn; i++) s += W.data[o * inn + i] * x[i];
      z[o] = s;
    }
    x = frame.arrays[`Wfull${layer + 1}`] ? z.map(act) : z;
  }
  if (task === "binary") return [sigmoid(x[0])];
  if (task === "multiclass") {
    const m = Math.max(...x), e = x.map((v) => Math.exp(v - m)), s = e.reduce((a, c) => a + c);
    return e.map((v) => v / s);
  }
  return [x[0]];
}
