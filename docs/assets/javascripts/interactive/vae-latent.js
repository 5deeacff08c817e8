// Lecture 13: the VAE's latent space by hand. Move a point over the 2-D latent map and see the
// digit the decoder draws there; draw a digit on the 8×8 grid and see where the encoder puts it
// (μ, and the ellipses at one and two σ). The model is the one trained for the page, exported by
// code/aicourse/experiments/vae.py (export_latent); loader.js calls mount() and selftest().

const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const fmt = (v) => (v < 0 ? "−" : "") + Math.abs(v).toFixed(2);  // a true minus sign

function model(ctx) {
  const { tensors, metadata } = ctx.model, nn = ctx.nn;
  const [encoder, decoder] = [metadata.encoder.slice(0, -1), metadata.decoder];
  return {
    threshold: metadata.threshold,
    // The training digits' preprocessing (models/vae.py binarize): grey level ≥ threshold is ink.
    binarize: (grey) => grey.map((v) => (v >= metadata.threshold ? 1 : 0)),
    encode(x) {
      const h = nn.sequential(x, tensors, encoder);
      return { mu: nn.linear(h, tensors["to_mu.weight"], tensors["to_mu.bias"]),
               logvar: nn.linear(h, tensors["to_logvar.weight"], tensors["to_logvar.bias"]) };
    },
    decode: (z) => nn.sequential(z, tensors, decoder),
  };
}

export async function selftest(ctx, tests) {
  const m = model(ctx), nn = ctx.nn, parts = { binarize: 0, mu: 0, logvar: 0, decoded: 0 };
  for (let i = 0; i < tests.x.shape[0]; i++) {
    parts.binarize = Math.max(parts.binarize, nn.maxAbsDiff(m.binarize(nn.row(tests.grey, i)), nn.row(tests.x, i)));
    const { mu, logvar } = m.encode(nn.row(tests.x, i));
    parts.mu = Math.max(parts.mu, nn.maxAbsDiff(mu, nn.row(tests.mu, i)));
    parts.logvar = Math.max(parts.logvar, nn.maxAbsDiff(logvar, nn.row(tests.logvar, i)));
  }
  for (let i = 0; i < tests.z.shape[0]; i++) {
    parts.decoded = Math.max(parts.decoded, nn.maxAbsDiff(m.decode(nn.row(tests.z, i)), nn.row(tests.decoded, i)));
  }
  return { maxAbsDiff: Math.max(...Object.values(parts)), parts, inputs: tests.x.shape[0], latents: tests.z.shape[0] };
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function mount(body, ctx) {
  const { t } = ctx, m = model(ctx), tensors = ctx.model.tensors;
  const points = tensors["map.mu"], labels = tensors["map.label"].data, examples = tensors["examples.x"];
  const n = points.shape[0];
  let extent = 3;
  for (let i = 0; i < 2 * n; i++) extent = Math.max(extent, Math.ceil(2 * (Math.abs(points.data[i]) + 0.2)) / 2);

  // -- the markup -----------------------------------------------------------
  const hint = el("p", { class: "vae-latent__hint", id: `${ctx.name}-${ctx.lang}-hint` },
    t("地図をドラッグするか、フォーカスして矢印キーで点を動かします (Shift で大きく、Home で原点)。",
      "Drag on the map, or focus it and use the arrow keys (Shift for bigger steps, Home for the origin)."));
  const map = el("canvas", {
    class: "vae-latent__map", tabindex: "0", role: "slider",
    "aria-roledescription": t("2 次元スライダー", "2-D slider"),
    "aria-label": t("潜在空間の地図 (点は検証データの μ、色はクラス)", "Latent map (dots: μ of validation digits, coloured by class)"),
    "aria-describedby": hint.id, "aria-valuemin": String(-extent), "aria-valuemax": String(extent),
  });
  const digit = el("canvas", { class: "vae-latent__digit", width: "8", height: "8", role: "img",
    "aria-label": t("点 z を復号した数字 (各画素のインクの確率)", "The digit decoded at the point z (ink probability per pixel)") });
  const zText = el("output", { class: "vae-latent__readout vae-latent__readout--one" });
  const grid = el("div", { class: "vae-latent__grid", role: "grid",
    "aria-label": t("8×8 の描画マス: 矢印キーで移動、スペースでインクを切り替え", "8×8 drawing grid: arrow keys move, Space toggles ink") });
  const cells = [];
  for (let r = 0; r < 8; r++) {
    const tr = el("div", { role: "row" });
    for (let c = 0; c < 8; c++) {
      const cell = el("div", { role: "gridcell", "aria-selected": "false", tabindex: r + c === 0 ? "0" : "-1",
        "aria-label": t(`${r + 1} 行 ${c + 1} 列`, `row ${r + 1}, column ${c + 1}`) });
      cells.push(cell);
      tr.append(cell);
    }
    grid.append(tr);
  }
  const muText = el("output", { class: "vae-latent__readout vae-latent__readout--two" });
  const button = (ja, en) => el("button", { type: "button", class: "md-button vae-latent__button" }, t(ja, en));
  const clear = button("消す", "Clear"), example = button("例を描く", "Draw an example"), toMu = button("μ を復号", "Decode μ");
  body.append(el("div", { class: "vae-latent" },
    el("div", { class: "vae-latent__panel" },
      el("p", { class: "vae-latent__label" }, t("潜在空間 z", "Latent space z")), map, hint),
    el("div", { class: "vae-latent__panel vae-latent__io" },
      el("div", { class: "vae-latent__decoded" },
        el("p", { class: "vae-latent__label" }, t("復号化器の出力", "Decoder output")), digit, zText),
      el("div", { class: "vae-latent__drawing" },
        el("p", { class: "vae-latent__label" }, t("数字を描く → 符号化器", "Draw a digit → encoder")), grid,
        el("div", { class: "vae-latent__buttons" }, clear, example, toMu), muText))));

  // -- state and drawing -----------------------------------------------------
  const grey = new Float32Array(64);  // the drawing: grey level 1 where painted, 0 elsewhere
  let z = [0, 0], enc = null, cursor = 0, exampleIndex = 0, background = null;
  const dctx = digit.getContext("2d"), pixels = dctx.createImageData(8, 8);

  const css = (name, fallback) => getComputedStyle(body).getPropertyValue(name).trim() || fallback;
  let colors = null;  // the theme's colours, read once per background (not on every pointer move)
  const size = () => Math.round((map.clientWidth || 300) * devicePixelRatio);
  const toPx = (v, s) => ((v + extent) / (2 * extent)) * s;
  const toZ = (p, s) => (p / s) * 2 * extent - extent;

  function drawBackground(s) {
    const c = document.createElement("canvas");
    c.width = c.height = s;
    colors = { fg: css("--md-default-fg-color", "#000"), accent: css("--md-accent-fg-color", "#ff6e42") };
    const g = c.getContext("2d"), fg = colors.fg, k = s / 300;
    g.fillStyle = css("--md-default-bg-color", "#fff");
    g.fillRect(0, 0, s, s);
    g.strokeStyle = css("--md-default-fg-color--lightest", "#ddd");
    g.lineWidth = k;
    g.fillStyle = css("--md-default-fg-color--light", "#666");
    g.font = `${Math.round(9 * k)}px sans-serif`;
    for (let v = Math.ceil(-extent); v <= extent; v++) {  // a line and a label at each whole number
      g.beginPath(); g.moveTo(toPx(v, s), 0); g.lineTo(toPx(v, s), s); g.moveTo(0, toPx(v, s)); g.lineTo(s, toPx(v, s)); g.stroke();
      if (Math.abs(v) < extent) {
        g.textAlign = "center"; g.textBaseline = "bottom"; g.fillText(fmt(v).replace(".00", ""), toPx(v, s), s - 2 * k);
        g.textAlign = "left"; g.textBaseline = "middle"; g.fillText(fmt(-v).replace(".00", ""), 3 * k, toPx(v, s));
      }
    }
    g.globalAlpha = 0.55;
    for (let i = 0; i < n; i++) {
      g.fillStyle = TAB10[labels[i]];
      g.beginPath(); g.arc(toPx(points.data[2 * i], s), toPx(-points.data[2 * i + 1], s), 2.2 * k, 0, 2 * Math.PI); g.fill();
    }
    g.globalAlpha = 1;
    g.font = `${Math.round(13 * k)}px sans-serif`;
    g.textAlign = "center"; g.textBaseline = "middle";
    for (let d = 0; d < 10; d++) {  // each class's label at the median of its codes, as in the static diagram
      const median = (j) => { const v = []; for (let i = 0; i < n; i++) if (labels[i] === d) v.push(points.data[2 * i + j]); v.sort((a, b) => a - b); return v[v.length >> 1]; };
      const x = toPx(median(0), s), y = toPx(-median(1), s);
      g.fillStyle = "rgba(255,255,255,0.85)"; g.fillRect(x - 8 * k, y - 8 * k, 16 * k, 16 * k);
      g.fillStyle = TAB10[d]; g.fillText(String(d), x, y + k);
    }
    g.fillStyle = fg;
    g.font = `${Math.round(11 * k)}px sans-serif`;
    g.textBaseline = "middle";
    g.textAlign = "right"; g.fillText("z₁ →", s - 4 * k, s - 20 * k);
    g.textAlign = "left"; g.fillText("↑ z₂", 18 * k, 9 * k);
    return c;
  }

  function drawMap() {
    const s = size();
    if (map.width !== s) { map.width = map.height = s; background = null; }
    background ||= drawBackground(s);
    const g = map.getContext("2d"), k = s / 300, accent = colors.accent;
    g.drawImage(background, 0, 0);
    if (enc) {  // the encoder's q(z|x): μ and the ellipses at 1σ and 2σ (a diagonal Gaussian)
      const [mx, my] = [toPx(enc.mu[0], s), toPx(-enc.mu[1], s)];
      const [sx, sy] = [Math.exp(0.5 * enc.logvar[0]), Math.exp(0.5 * enc.logvar[1])].map((v) => (v / (2 * extent)) * s);
      g.strokeStyle = accent; g.lineWidth = 2 * k;
      for (const [f, dash] of [[1, []], [2, [4 * k, 3 * k]]]) {
        g.setLineDash(dash); g.beginPath(); g.ellipse(mx, my, f * sx, f * sy, 0, 0, 2 * Math.PI); g.stroke();
      }
      g.setLineDash([]);
      g.beginPath(); g.moveTo(mx - 6 * k, my); g.lineTo(mx + 6 * k, my); g.moveTo(mx, my - 6 * k); g.lineTo(mx, my + 6 * k); g.stroke();
    }
    const [px, py] = [toPx(z[0], s), toPx(-z[1], s)];
    g.lineWidth = 2.5 * k;
    g.strokeStyle = "#fff"; g.beginPath(); g.arc(px, py, 7 * k, 0, 2 * Math.PI); g.stroke();
    g.strokeStyle = colors.fg; g.lineWidth = 1.5 * k; g.stroke();
  }

  function drawDigit() {
    const p = m.decode(Float32Array.from(z));
    for (let i = 0; i < 64; i++) {  // ink probability as darkness, like the static latent map
      const v = Math.round(255 * (1 - p[i]));
      pixels.data.set([v, v, v, 255], 4 * i);
    }
    dctx.putImageData(pixels, 0, 0);
  }

  function setZ(next, announce) {
    z = next.map((v) => Math.max(-extent, Math.min(extent, Math.round(v * 100) / 100)));
    drawDigit();
    drawMap();
    const text = `z = (${fmt(z[0])}, ${fmt(z[1])})`;
    zText.textContent = text;
    digit.dataset.z = z.join(",");
    map.setAttribute("aria-valuenow", String(z[0]));
    map.setAttribute("aria-valuetext", text);
    if (announce) ctx.announce(t(`潜在 ${text}`, `latent ${text}`));
  }

  function encodeDrawing(announce) {
    const x = m.binarize(grey);  // the same preprocessing as the training digits
    cells.forEach((cell, i) => cell.setAttribute("aria-selected", x[i] ? "true" : "false"));
    if (!x.some((v) => v)) {
      enc = null;
      muText.textContent = t("マスをクリックまたはスペースで塗ると、符号化器の μ と σ が地図に出ます。",
        "Paint cells (click, or Space) and the encoder's μ and σ appear on the map.");
      delete muText.dataset.mu;
    } else {
      enc = m.encode(x);
      const sd = [0, 1].map((j) => Math.exp(0.5 * enc.logvar[j]));
      muText.textContent = `μ = (${fmt(enc.mu[0])}, ${fmt(enc.mu[1])}), σ = (${fmt(sd[0])}, ${fmt(sd[1])})`;
      muText.dataset.mu = `${enc.mu[0]},${enc.mu[1]}`;
      if (announce) ctx.announce(t(`符号化器: ${muText.textContent}`, `encoder: ${muText.textContent}`));
    }
    toMu.disabled = !enc;
    drawMap();
  }

  // -- the latent map: pointer, touch and keys -------------------------------
  const fromEvent = (e) => {
    const r = map.getBoundingClientRect();
    return [toZ(e.clientX - r.left, r.width), -toZ(e.clientY - r.top, r.height)];
  };
  map.addEventListener("pointerdown", (e) => {
    map.setPointerCapture(e.pointerId);
    ctx.timed("vae-latent:pointer", () => setZ(fromEvent(e), false));
  });
  map.addEventListener("pointermove", (e) => {
    if (map.hasPointerCapture(e.pointerId)) ctx.timed("vae-latent:pointer", () => setZ(fromEvent(e), false));
  });
  map.addEventListener("pointerup", () => ctx.announce(t(`潜在 ${zText.textContent}`, `latent ${zText.textContent}`)));
  map.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 0.5 : 0.1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (e.key === "Home") setZ([0, 0], true);
    else if (moves[e.key]) setZ([z[0] + moves[e.key][0], z[1] + moves[e.key][1]], true);
    else return;
    e.preventDefault();
  });

  // -- the drawing grid: pointer, touch and keys -----------------------------
  let paint = null;  // while a pointer is down: 1 paints, 0 erases (whatever the first cell was not)
  const cellAt = (e) => {
    const r = grid.getBoundingClientRect();
    const c = Math.floor(((e.clientX - r.left) / r.width) * 8), rr = Math.floor(((e.clientY - r.top) / r.height) * 8);
    return c >= 0 && c < 8 && rr >= 0 && rr < 8 ? rr * 8 + c : -1;
  };
  grid.addEventListener("pointerdown", (e) => {
    const i = cellAt(e);
    if (i < 0) return;
    grid.setPointerCapture(e.pointerId);
    paint = grey[i] ? 0 : 1;
    grey[i] = paint;
    moveCursor(i, false);
    encodeDrawing(false);
  });
  grid.addEventListener("pointermove", (e) => {
    const i = cellAt(e);
    if (paint === null || i < 0 || grey[i] === paint) return;
    grey[i] = paint;
    encodeDrawing(false);
  });
  const endPaint = () => { if (paint !== null) { paint = null; encodeDrawing(true); } };
  grid.addEventListener("pointerup", endPaint);
  grid.addEventListener("pointercancel", endPaint);
  function moveCursor(i, focus) {
    cells[cursor].tabIndex = -1;
    cursor = i;
    cells[cursor].tabIndex = 0;
    if (focus) cells[cursor].focus();
  }
  grid.addEventListener("keydown", (e) => {
    const [r, c] = [cursor >> 3, cursor & 7];
    const moves = { ArrowLeft: [r, Math.max(0, c - 1)], ArrowRight: [r, Math.min(7, c + 1)],
                    ArrowUp: [Math.max(0, r - 1), c], ArrowDown: [Math.min(7, r + 1), c], Home: [r, 0], End: [r, 7] };
    if (moves[e.key]) moveCursor(moves[e.key][0] * 8 + moves[e.key][1], true);
    else if (e.key === " " || e.key === "Enter") { grey[cursor] = grey[cursor] ? 0 : 1; encodeDrawing(true); }
    else return;
    e.preventDefault();
  });

  clear.addEventListener("click", () => { grey.fill(0); encodeDrawing(true); });
  example.addEventListener("click", () => {  // a real binarised validation digit, one class after another
    grey.set(ctx.nn.row(examples, exampleIndex));
    exampleIndex = (exampleIndex + 1) % examples.shape[0];
    encodeDrawing(true);
  });
  toMu.addEventListener("click", () => { if (enc) setZ([enc.mu[0], enc.mu[1]], true); });

  new ResizeObserver(() => drawMap()).observe(map);
  // Material's light/dark switch sets data-md-color-scheme on <body>: redraw in the new colours.
  new MutationObserver(() => { background = null; drawMap(); })
    .observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  encodeDrawing(false);
  setZ([0, 0], false);
}
