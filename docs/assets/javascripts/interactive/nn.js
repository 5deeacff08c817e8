// The forward pass of the course's small models, in plain JavaScript (no library, no build step).
//
// load(url) / parse(buffer): a safetensors file (8-byte little-endian header length, a JSON header
// giving each tensor's dtype, shape and byte range, then the raw little-endian data) as
// { tensors: { name: { dtype, shape, data: Float32Array } }, metadata } where metadata is the JSON
// the experiment passed to ctx.export(meta=...). F32, F16 and I8 are read; anything else is an error.
// An I8 tensor K comes with K.scale, one float32 per row (ctx.export(dtype="int8"), symmetric per-row
// quantization as in lecture 06): K is returned as q·scale in float32, the values torch computed with.
// The ops below follow torch's definitions; a Linear weight is stored as torch keeps it (out × in).

export async function load(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parse(await response.arrayBuffer(), url);
}

export function parse(buffer, source = "safetensors") {
  if (buffer.byteLength < 8) throw new Error(`${source}: too short to be a safetensors file`);
  const headerLength = Number(new DataView(buffer).getBigUint64(0, true));
  if (8 + headerLength > buffer.byteLength) throw new Error(`${source}: header runs past the end of the file`);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  const base = 8 + headerLength, tensors = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [start, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    const width = { F32: 4, F16: 2, I8: 1 }[info.dtype];
    if (!width) throw new Error(`${source}: tensor ${name} is ${info.dtype}; only F32, F16 and I8 are read`);
    if (end - start !== count * width || base + end > buffer.byteLength) {
      throw new Error(`${source}: tensor ${name} has ${end - start} bytes for shape [${info.shape}]`);
    }
    const view = new DataView(buffer, base + start, end - start);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      data[i] = width === 4 ? view.getFloat32(4 * i, true) : width === 2 ? half(view.getUint16(2 * i, true)) : view.getInt8(i);
    }
    tensors[name] = { dtype: info.dtype, shape: info.shape, data };
  }
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== "I8") continue;
    const s = tensors[`${name}.scale`];
    if (!s || s.data.length !== t.shape[0]) throw new Error(`${source}: int8 tensor ${name} has no ${name}.scale with one value per row`);
    const per = t.data.length / t.shape[0];
    for (let i = 0; i < t.data.length; i++) t.data[i] = Math.fround(t.data[i] * s.data[Math.floor(i / per)]);
    t.dtype = "F32";
    delete tensors[`${name}.scale`];
  }
  const meta = header.__metadata__ || {};
  return { tensors, metadata: meta.aicourse ? JSON.parse(meta.aicourse) : {} };
}

function half(bits) {  // IEEE 754 binary16 -> number
  const sign = bits & 0x8000 ? -1 : 1, exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

// Row i of a 2-D tensor (n × d) as a Float32Array view, without copying.
export function row(t, i) {
  const d = t.shape[t.shape.length - 1];
  return t.data.subarray(i * d, (i + 1) * d);
}

// y = W x + b, with W of shape out × in (torch.nn.Linear).
export function linear(x, w, b) {
  const [out, inp] = w.shape, W = w.data, y = new Float32Array(out);
  if (x.length !== inp) throw new Error(`linear: input has ${x.length} values, the weight expects ${inp}`);
  for (let o = 0; o < out; o++) {
    let s = b ? b.data[o] : 0;
    const off = o * inp;
    for (let i = 0; i < inp; i++) s += W[off + i] * x[i];
    y[o] = s;
  }
  return y;
}

const map = (x, f) => { const y = new Float32Array(x.length); for (let i = 0; i < x.length; i++) y[i] = f(x[i]); return y; };
export const relu = (x) => map(x, (v) => (v > 0 ? v : 0));
export const sigmoid = (x) => map(x, (v) => 1 / (1 + Math.exp(-v)));
export const tanh = (x) => map(x, Math.tanh);
export const silu = (x) => map(x, (v) => v / (1 + Math.exp(-v)));
export const gelu = (x) => map(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));  // torch's exact GELU

function erf(x) {  // Abramowitz & Stegun 7.1.26, |error| < 1.5e-7
  const s = Math.sign(x), a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  const p = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return s * (1 - p * Math.exp(-a * a));
}

export function softmax(x) {
  const m = Math.max(...x), e = map(x, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return map(e, (v) => v / s);
}

// x / max(‖x‖, eps), as torch.nn.functional.normalize.
export function normalize(x, eps = 1e-12) {
  const n = Math.max(Math.hypot(...x), eps);
  return map(x, (v) => v / n);
}

// torch.nn.Conv1d on one example: x is channels × length (flat), w is out × in × k; zero padding.
export function conv1d(x, length, w, b, padding = 0) {
  const [out, inp, k] = w.shape, W = w.data, L = length + 2 * padding - k + 1, y = new Float32Array(out * L);
  for (let o = 0; o < out; o++) for (let t = 0; t < L; t++) {
    let s = b ? b.data[o] : 0;
    for (let c = 0; c < inp; c++) for (let j = 0; j < k; j++) {
      const pos = t + j - padding;
      if (pos >= 0 && pos < length) s += W[(o * inp + c) * k + j] * x[c * length + pos];
    }
    y[o * L + t] = s;
  }
  return y;
}

const ACTIVATIONS = { relu, sigmoid, tanh, silu, gelu, softmax };

// Run a torch.nn.Sequential-like list: each step is an activation's name or the prefix of a Linear
// layer in `tensors` (prefix.weight, prefix.bias), e.g. ["encoder.0", "relu", "encoder.2", "relu"].
export function sequential(x, tensors, steps) {
  for (const step of steps) {
    if (ACTIVATIONS[step]) { x = ACTIVATIONS[step](x); continue; }
    const w = tensors[`${step}.weight`];
    if (!w) throw new Error(`sequential: no tensor ${step}.weight`);
    x = linear(x, w, tensors[`${step}.bias`]);
  }
  return x;
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
