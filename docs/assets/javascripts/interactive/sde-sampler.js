// Lecture 12: sample the score SDE yourself. A time slider shows the learned score field (arrows,
// directions only) and the training points perturbed to time t by the VP SDE's marginal
// α(t) x0 + σ(t) ε; a button runs the reverse-time SDE (Euler–Maruyama) or the probability-flow
// ODE (Euler) from fresh noise, with the number of steps the reader picks, animated. The network is
// the one trained for the page, exported by code/aicourse/experiments/score_sde.py (export_sampler);
// the formulas follow code/aicourse/models/score_sde.py line by line.

const N_SAMPLES = 300;
const fmt = (v, d = 2) => (v < 0 ? "−" : "") + Math.abs(v).toFixed(d);

// A seeded generator (mulberry32) and standard normals by Box–Muller.
function rng(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = null;
  return () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    const u = 1 - uniform(), v = uniform(), r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function model(ctx) {
  const { tensors, metadata: m } = ctx.model, freq = tensors.freq.data;
  const beta = (t) => m.beta_min + t * (m.beta_max - m.beta_min);
  const intBeta = (t) => m.beta_min * t + 0.5 * (m.beta_max - m.beta_min) * t * t;
  const alpha = (t) => Math.exp(-0.5 * intBeta(t));
  const sigma = (t) => Math.sqrt(1 - alpha(t) ** 2);
  const features = new Float32Array(2 + 2 * freq.length);
  const layers = m.net.filter((step) => step !== "silu").map((step) => {
    const w = tensors[`${step}.weight`], [out, inp] = w.shape;
    return { W: w.data, b: tensors[`${step}.bias`].data, out, inp, y: new Float32Array(out),
             act: m.net[m.net.indexOf(step) + 1] === "silu" };
  });
  // ScoreNet.forward: [x, sin(t·freq), cos(t·freq)] through the MLP; the output is ε̂.
  function eps(x0, x1, t) {
    features[0] = x0; features[1] = x1;
    for (let k = 0; k < freq.length; k++) {
      const a = Math.fround(Math.fround(t) * freq[k]);
      features[2 + k] = Math.sin(a);
      features[2 + freq.length + k] = Math.cos(a);
    }
    let h = features;  // m.net, as nn.sequential would run it, with buffers reused (it runs ~10⁵ times a run)
    for (let l = 0; l < layers.length; l++) {
      const { W, b, out, inp, y, act } = layers[l];
      for (let o = 0; o < out; o++) {
        let s = b[o];
        const off = o * inp;
        for (let i = 0; i < inp; i++) s += W[off + i] * h[i];
        y[o] = act ? s / (1 + Math.exp(-s)) : s;
      }
      h = y;
    }
    return h;
  }
  // ScoreNet.score: −ε̂ / σ(t).
  function score(x0, x1, t) {
    const e = eps(x0, x1, t), s = sigma(t);
    return [-e[0] / s, -e[1] / s];
  }
  // One step of _integrate from t back to t − dt (in place): the reverse SDE with noise z, or the
  // probability-flow ODE (weight ½, no noise).
  function step(x, t, dt, stochastic, noise) {
    const b = beta(t), w = stochastic ? 1 : 0.5, g = Math.sqrt(b), sq = Math.sqrt(dt);
    for (let i = 0; i < x.length; i += 2) {
      const s = score(x[i], x[i + 1], t);
      for (let j = 0; j < 2; j++) {
        x[i + j] = x[i + j] - (-0.5 * b * x[i + j] - w * b * s[j]) * dt;
        if (stochastic) x[i + j] += g * sq * noise(i + j);
      }
    }
    return x;
  }
  // torch.linspace(1, T_EPS, n + 1) as float32 values.
  const times = (n) => Array.from({ length: n + 1 }, (_, i) => Math.fround(1 + (m.t_eps - 1) * (i / n)));
  return { meta: m, alpha, sigma, eps, score, step, times };
}

export async function selftest(ctx, tests) {
  const M = model(ctx), nn = ctx.nn, parts = { eps: 0, score: 0, ode: 0, sde_step: 0 };
  const n = tests.x.shape[0];
  for (let i = 0; i < n; i++) {
    const [a, b] = nn.row(tests.x, i), t = tests.t.data[i];
    parts.eps = Math.max(parts.eps, nn.maxAbsDiff(M.eps(a, b, t), nn.row(tests.eps, i)));
    parts.score = Math.max(parts.score, nn.maxAbsDiff(M.score(a, b, t), nn.row(tests.score, i)));
  }
  const steps = tests["ode.steps"].data[0], ts = M.times(steps), path = tests["ode.path"];
  const x = Float32Array.from(tests["ode.x1"].data), per = x.length;
  for (let k = 0; k < steps; k++) {
    M.step(x, ts[k], ts[k] - ts[k + 1], false);
    parts.ode = Math.max(parts.ode, nn.maxAbsDiff(x, path.data.subarray((k + 1) * per, (k + 2) * per)));
  }
  const z = tests["step.z"].data, y = Float32Array.from(tests["step.x"].data);
  M.step(y, tests["step.t"].data[0], tests["step.dt"].data[0], true, (j) => z[j]);
  parts.sde_step = nn.maxAbsDiff(y, tests["step.next"].data);
  return { maxAbsDiff: Math.max(...Object.values(parts)), parts, inputs: n, ode_steps: steps };
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function mount(body, ctx) {
  const { t } = ctx, M = model(ctx), meta = M.meta, data = ctx.model.tensors["data.x"];
  const lim = meta.lim, id = `${ctx.name}-${ctx.lang}`;
  const grid = [];
  for (let j = 0; j < 19; j++) for (let i = 0; i < 19; i++) {  // the static figure's grid (_grid)
    grid.push([-lim + 0.2 + (i * (2 * lim - 0.4)) / 18, -lim + 0.2 + (j * (2 * lim - 0.4)) / 18]);
  }
  const noise = rng(12), eps0 = Float32Array.from({ length: data.data.length }, noise);  // fixed ε for p_t

  // -- the markup -----------------------------------------------------------
  const canvas = el("canvas", { class: "sde-sampler__plot", role: "img", "aria-describedby": `${id}-state` });
  canvas.style.cssText = "display:block;width:min(100%,420px);height:auto;aspect-ratio:1";  // square, whatever the width
  const state = el("p", { class: "sde-sampler__state", id: `${id}-state` });
  const time = el("input", { type: "range", class: "sde-sampler__time", id: `${id}-time`, min: "0", max: "1000", step: "10",
    value: String(Math.round(meta.field_time * 1000)) });
  const timeOut = el("output", { for: `${id}-time` });
  const method = el("select", { class: "sde-sampler__method", id: `${id}-method` },
    el("option", { value: "sde" }, t("逆時間 SDE (オイラー・丸山法)", "reverse-time SDE (Euler–Maruyama)")),
    el("option", { value: "ode" }, t("確率フロー ODE (オイラー法)", "probability-flow ODE (Euler)")));
  const steps = el("input", { type: "range", class: "sde-sampler__steps", id: `${id}-steps`, min: "10", max: "500", step: "10", value: "100" });
  const stepsOut = el("output", { for: `${id}-steps` });
  const run = el("button", { type: "button", class: "md-button md-button--primary sde-sampler__run" },
    t("ノイズからサンプリング", "Sample from noise"));
  const field = (label, input, out) => el("div", { class: "sde-sampler__control", style: "display:flex;gap:0.5em;align-items:center;flex-wrap:wrap;margin:0.3em 0" },
    el("label", { for: input.id }, label), input, out || "");
  body.append(el("div", { class: "sde-sampler" },
    el("div", { class: "sde-sampler__panel" }, canvas, state),
    el("div", { class: "sde-sampler__controls" },
      field(t("時刻 t (スコアの場と p_t)", "time t (score field and p_t)"), time, timeOut),
      field(t("サンプラー", "sampler"), method),
      field(t("ステップ数", "steps"), steps, stepsOut), run)));

  // -- drawing ----------------------------------------------------------------
  let samples = null, sampleT = 1, running = 0, seed = 1;
  const css = (name, fallback) => getComputedStyle(body).getPropertyValue(name).trim() || fallback;
  const tNow = () => Math.max(meta.t_eps, Number(time.value) / 1000);
  // The score's unit direction at each grid point at time tt. The slider's 101 times are kept (and
  // computed ahead, while the page is idle), so moving the slider only redraws; a sampling run's
  // frames, at other times, compute theirs as they go.
  const fields = new Map(), onSlider = (tt) => tt === meta.t_eps || Math.abs(tt * 100 - Math.round(tt * 100)) < 1e-9;
  function directions(tt) {
    if (fields.has(tt)) return fields.get(tt);
    const dirs = new Float32Array(2 * grid.length);
    grid.forEach(([a, b], i) => {
      const [u, v] = M.score(a, b, tt), n = Math.hypot(u, v) + 1e-8;
      dirs[2 * i] = u / n; dirs[2 * i + 1] = v / n;
    });
    if (onSlider(tt)) fields.set(tt, dirs);
    return dirs;
  }

  function draw() {
    const s = Math.round((canvas.clientWidth || 360) * devicePixelRatio);
    if (canvas.width !== s) canvas.width = canvas.height = s;
    const g = canvas.getContext("2d"), k = s / 360, tt = samples ? sampleT : tNow();
    const px = (v) => ((v + lim) / (2 * lim)) * s, py = (v) => ((lim - v) / (2 * lim)) * s;
    g.fillStyle = css("--md-default-bg-color", "#fff");
    g.fillRect(0, 0, s, s);
    g.strokeStyle = "#999";
    g.lineWidth = 1.2 * k;
    const len = 0.13 * (2 * lim) / 19 * s / (2 * lim) * 5, dirs = directions(tt), h = 3 * k;
    g.beginPath();  // one path for every arrow, one for every point: a stroke or fill per shape is slow
    grid.forEach(([a, b], i) => {  // the learned score's direction (lengths blow up near the blobs)
      const x0 = px(a), y0 = py(b), x1 = x0 + len * dirs[2 * i], y1 = y0 - len * dirs[2 * i + 1];
      const ang = Math.atan2(y1 - y0, x1 - x0);
      g.moveTo(x0, y0); g.lineTo(x1, y1);
      g.lineTo(x1 - h * Math.cos(ang - 0.5), y1 - h * Math.sin(ang - 0.5));
      g.moveTo(x1, y1); g.lineTo(x1 - h * Math.cos(ang + 0.5), y1 - h * Math.sin(ang + 0.5));
    });
    g.stroke();
    g.globalAlpha = 0.75;
    const r = 2.2 * k, dot = (x, y) => { g.moveTo(x + r, y); g.arc(x, y, r, 0, 2 * Math.PI); };
    g.beginPath();
    if (samples) {
      g.fillStyle = method.value === "sde" ? "#d62728" : "#2ca02c";
      for (let i = 0; i < samples.length; i += 2) dot(px(samples[i]), py(samples[i + 1]));
    } else {  // the training points perturbed to t: α(t) x0 + σ(t) ε
      const a = M.alpha(tt), sd = M.sigma(tt);
      g.fillStyle = "#1f77b4";
      for (let i = 0; i < data.data.length; i += 2) {
        dot(px(a * data.data[i] + sd * eps0[i]), py(a * data.data[i + 1] + sd * eps0[i + 1]));
      }
    }
    g.fill();
    g.globalAlpha = 1;
    g.fillStyle = css("--md-default-fg-color", "#000");
    g.font = `${Math.round(13 * k)}px sans-serif`;
    g.textBaseline = "top";
    g.fillText(`t = ${tt.toFixed(3)}`, 8 * k, 8 * k);
    canvas.dataset.t = tt.toFixed(3);
    const what = samples
      ? t(`${method.value === "sde" ? "逆時間 SDE" : "確率フロー ODE"} のサンプル ${samples.length / 2} 点 (t = ${tt.toFixed(3)})`,
        `${samples.length / 2} samples of the ${method.value === "sde" ? "reverse-time SDE" : "probability-flow ODE"} (t = ${tt.toFixed(3)})`)
      : t(`学習したスコアの向き (灰色の矢印) と、時刻 t = ${tt.toFixed(3)} まで摂動した学習データ (青)`,
        `Direction of the learned score (grey arrows) and the training data perturbed to t = ${tt.toFixed(3)} (blue)`);
    canvas.setAttribute("aria-label", what);
    state.textContent = what;
  }

  function showTime() {
    timeOut.textContent = tNow().toFixed(3);
    time.setAttribute("aria-valuetext", `t = ${tNow().toFixed(3)}`);
    stepsOut.textContent = steps.value;
  }

  time.addEventListener("input", () => {
    cancelAnimationFrame(running); running = 0; run.disabled = false; samples = null;
    showTime();
    ctx.timed(`${ctx.name}:slider`, draw);
    ctx.announce(t(`時刻 t = ${tNow().toFixed(3)}`, `time t = ${tNow().toFixed(3)}`));
  });
  steps.addEventListener("input", showTime);

  run.addEventListener("click", () => {
    const n = Number(steps.value), ts = M.times(n), stochastic = method.value === "sde", z = rng(1000 + seed++);
    samples = Float32Array.from({ length: 2 * N_SAMPLES }, z);  // fresh N(0, I) noise at t = 1
    sampleT = 1;
    body.querySelector(".sde-sampler").dataset.state = "running";
    run.disabled = true;
    let k = 0;
    const frame = () => {
      const t0 = performance.now();
      do {  // as many steps as fit in about 12 ms, at least 30 frames a run
        M.step(samples, ts[k], ts[k] - ts[k + 1], stochastic, z);
        k++;
      } while (k < n && performance.now() - t0 < 12 && k % Math.ceil(n / 30) !== 0);
      sampleT = ts[k];
      draw();
      if (k < n) { running = requestAnimationFrame(frame); return; }
      running = 0;
      run.disabled = false;
      let finite = 0;
      for (let i = 0; i < samples.length; i += 2) if (Number.isFinite(samples[i]) && Number.isFinite(samples[i + 1])) finite++;
      const wrap = body.querySelector(".sde-sampler");
      wrap.dataset.state = "done";
      wrap.dataset.points = String(finite);
      ctx.announce(t(`${stochastic ? "逆時間 SDE" : "確率フロー ODE"}、${n} ステップで ${finite} 点をサンプリングしました。`,
        `Sampled ${finite} points with the ${stochastic ? "reverse-time SDE" : "probability-flow ODE"} in ${n} steps.`));
      run.focus();
    };
    running = requestAnimationFrame(frame);
  });

  showTime();
  draw();
  window.addEventListener("resize", () => draw());
  const idle = window.requestIdleCallback || ((fn) => setTimeout(() => fn({ timeRemaining: () => 8 }), 50));
  const ahead = Array.from({ length: 101 }, (_, i) => Math.max(meta.t_eps, i / 100));
  (function next() {
    idle((deadline) => {
      while (ahead.length && deadline.timeRemaining() > 2) directions(ahead.shift());
      if (ahead.length) next();
    });
  })();
}
