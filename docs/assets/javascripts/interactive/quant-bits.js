// Lecture 06: choose the bits. A slider from 2 to 8 bits quantizes the base model's real trained
// weights (exported by code/aicourse/experiments/adapting_models.py, export_quant_bits) the way
// aicourse.models.adapting.quantize_symmetric does: per tensor, w ≈ s·q with q an integer in
// [−L, L], L = 2^(bits−1) − 1 and s = max|w| / L. The page shows the first layer's histogram with
// the levels s·q, the error over every Linear weight, the size at that width and the accuracy of
// the quantized model on the validation digits 0–4, computed here by running it.

const f32 = Math.fround;
const fmtInt = (n, lang) => n.toLocaleString(lang === "ja" ? "ja-JP" : "en-US");

// torch.round rounds half to even; the division is float32, as in torch.
function roundEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantize(w, bits) {
  const levels = 2 ** (bits - 1) - 1, d = w.data;
  let maxAbs = 0;
  for (const v of d) maxAbs = Math.max(maxAbs, Math.abs(v));
  const scale = f32(Math.max(maxAbs, 1e-12) / levels);
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const q = Math.min(levels, Math.max(-levels, roundEven(f32(d[i] / scale))));
    out[i] = q * scale;
  }
  return { tensor: { data: out, shape: w.shape }, scale, levels };
}

function model(ctx) {
  const { tensors, metadata } = ctx.model, nn = ctx.nn;
  const layers = metadata.layers, steps = metadata.steps;
  const fp32 = layers.reduce((s, l) => s + 4 * tensors[`${l}.weight`].data.length, 0);
  return {
    layers,
    at(bits) {
      const q = { ...tensors }, scales = {};
      let maxErr = 0, sumErr = 0, n = 0, bytes = 0;
      for (const l of layers) {
        const w = tensors[`${l}.weight`], r = quantize(w, bits);
        q[`${l}.weight`] = r.tensor; scales[l] = r;
        for (let i = 0; i < w.data.length; i++) {
          const e = Math.abs(w.data[i] - r.tensor.data[i]);
          maxErr = Math.max(maxErr, e); sumErr += e;
        }
        n += w.data.length;
        bytes += Math.ceil(w.data.length * bits / 8) + 4;  // packed integers + one float32 scale
      }
      const forward = (x) => nn.sequential(x, q, steps);
      const x = tensors["val.x"], y = tensors["val.y"].data;
      let right = 0;
      for (let i = 0; i < x.shape[0]; i++) {
        const out = forward(nn.row(x, i));
        let best = 0;
        for (let k = 1; k < out.length; k++) if (out[k] > out[best]) best = k;
        if (best === y[i]) right++;
      }
      return { bits, maxErr, meanErr: sumErr / n, bytes, fp32, right, total: x.shape[0],
               accuracy: right / x.shape[0], forward, scales };
    },
  };
}

export async function selftest(ctx, tests) {
  const m = model(ctx), nn = ctx.nn, parts = { error: 0, logits: 0, accuracy: 0 };
  const bits = Array.from(tests.bits.data), x = tests.x;
  bits.forEach((b, j) => {
    const r = m.at(b);
    parts.error = Math.max(parts.error, Math.abs(r.maxErr - tests.error.data[2 * j]),
                           Math.abs(r.meanErr - tests.error.data[2 * j + 1]));
    const d = x.shape[0] * 10;
    for (let i = 0; i < x.shape[0]; i++) {
      const ref = tests.logits.data.subarray(j * d + i * 10, j * d + (i + 1) * 10);
      parts.logits = Math.max(parts.logits, nn.maxAbsDiff(r.forward(nn.row(x, i)), ref));
    }
    // Accuracy must match exactly: the same number of digits right (torch's value is float32).
    const same = Math.round(tests.accuracy.data[j] * r.total) === r.right;
    parts.accuracy = Math.max(parts.accuracy, same ? 0 : 1);
  });
  return { maxAbsDiff: Math.max(...Object.values(parts)), parts, bits };
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export function mount(body, ctx) {
  const { t, lang } = ctx, m = model(ctx), tensors = ctx.model.tensors;
  const first = tensors[`${m.layers[0]}.weight`].data;
  let lo = Infinity, hi = -Infinity;
  for (const v of first) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const ext = Math.max(-lo, hi), BINS = 80, W = 560, H = 180, PAD = 24;
  const counts = new Array(BINS).fill(0);
  for (const v of first) counts[Math.min(BINS - 1, Math.floor((v + ext) / (2 * ext) * BINS))]++;
  const top = Math.max(...counts);
  const xOf = (v) => PAD + (v + ext) / (2 * ext) * (W - 2 * PAD);

  const id = `quant-bits-${Math.random().toString(36).slice(2, 8)}`;
  const slider = el("input", { type: "range", min: "2", max: "8", step: "1", value: "8", id,
                               class: "quant-bits__slider" });
  const label = el("label", { for: id }, t("ビット数", "bits"));
  const shown = el("output", { for: id, class: "quant-bits__bits" });
  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "quant-bits__plot", role: "img" });
  const levelsG = svg("g", { class: "quant-bits__levels" });
  const bars = svg("g", { class: "quant-bits__bars" });
  counts.forEach((c, i) => {
    const x0 = PAD + i / BINS * (W - 2 * PAD), h = c / top * (H - 2 * PAD);
    bars.append(svg("rect", { x: x0.toFixed(2), y: (H - PAD - h).toFixed(2),
                              width: ((W - 2 * PAD) / BINS - 0.5).toFixed(2), height: h.toFixed(2), fill: "#1f77b4" }));
  });
  plot.append(levelsG, bars, svg("line", { x1: PAD, x2: W - PAD, y1: H - PAD, y2: H - PAD, stroke: "#333" }));
  const axis = svg("text", { x: W / 2, y: H - 6, "text-anchor": "middle", "font-size": "11" });
  plot.append(axis);
  const stats = el("dl", { class: "quant-bits__stats" });
  const fields = {};
  for (const [k, ja, en] of [["err", "重みの誤差 (最大 / 平均)", "weight error (max / mean)"],
                             ["size", "重みのサイズ", "size of the weights"],
                             ["acc", "検証用の数字 0〜4 の正解率", "accuracy on the validation digits 0–4"]]) {
    fields[k] = el("dd", { class: `quant-bits__${k}` });
    stats.append(el("dt", {}, t(ja, en)), fields[k]);
  }
  body.append(el("div", { class: "quant-bits__control" }, label, slider, shown), plot, stats);

  const cache = new Map();
  function update() {
    const bits = Number(slider.value);
    // Seven widths only: each is computed (quantization and the validation pass) once, then kept.
    const r = ctx.timed("quant-bits:slider", () => cache.get(bits) || cache.set(bits, m.at(bits)).get(bits));
    const s = r.scales[m.layers[0]];
    levelsG.textContent = "";
    const step = s.levels > 40 ? Math.ceil(s.levels / 40) : 1;  // at 8 bits, draw every few levels
    for (let q = -s.levels; q <= s.levels; q += step) {
      levelsG.append(svg("line", { x1: xOf(q * s.scale).toFixed(2), x2: xOf(q * s.scale).toFixed(2),
                                   y1: PAD - 8, y2: H - PAD, stroke: "#d62728", "stroke-width": "0.8", opacity: "0.6" }));
    }
    const nLevels = 2 * s.levels + 1;
    const every = step > 1 ? t(`、赤線は ${step} 本に 1 本`, `, every ${step}th drawn in red`) : t("、赤線", ", in red");
    axis.textContent = t(`第 1 層の重みの分布と ${nLevels} 個の量子化レベル (刻み s = ${s.scale.toPrecision(3)}${every})`,
                         `first layer's weights and the ${nLevels} quantization levels (step s = ${s.scale.toPrecision(3)}${every})`);
    plot.setAttribute("aria-label", axis.textContent);
    shown.textContent = t(`${bits} ビット (整数 −${s.levels}〜${s.levels})`, `${bits} bits (integers −${s.levels} to ${s.levels})`);
    slider.setAttribute("aria-valuetext", t(`${bits} ビット`, `${bits} bits`));
    fields.err.textContent = `${r.maxErr.toExponential(2)} / ${r.meanErr.toExponential(2)}`;
    fields.size.textContent = t(`${fmtInt(r.bytes, lang)} バイト (32 ビット浮動小数点では ${fmtInt(r.fp32, lang)} バイト、${(100 * r.bytes / r.fp32).toFixed(1)} %)`,
                                `${fmtInt(r.bytes, lang)} bytes (${fmtInt(r.fp32, lang)} in 32-bit float, ${(100 * r.bytes / r.fp32).toFixed(1)} %)`);
    fields.acc.textContent = t(`${(100 * r.accuracy).toFixed(1)} % (${r.total} 枚中 ${r.right} 枚)`,
                               `${(100 * r.accuracy).toFixed(1)} % (${r.right} of ${r.total})`);
    ctx.announce(t(`${bits} ビット: 平均誤差 ${r.meanErr.toExponential(2)}、正解率 ${(100 * r.accuracy).toFixed(1)} %`,
                   `${bits} bits: mean error ${r.meanErr.toExponential(2)}, accuracy ${(100 * r.accuracy).toFixed(1)} %`));
  }
  slider.addEventListener("input", update);
  update();
  // The other six widths are computed while the page is idle, one per idle period, so that moving
  // the slider later only redraws (a width's first computation runs the 172 validation digits).
  const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 50));
  const pending = [7, 6, 5, 4, 3, 2];
  (function next() {
    while (pending.length && cache.has(pending[0])) pending.shift();
    if (!pending.length) return;
    idle(() => { const b = pending.shift(); if (!cache.has(b)) cache.set(b, m.at(b)); next(); });
  })();
}
