// Lecture 10: zero-shot classification by hand. Draw a digit on the 8×8 grid and see the tiny CLIP's
// probabilities over the ten class prompts; type a caption of your own and see its cosine similarity to
// the drawing. The model is the one trained for the page, exported (float16) by
// code/aicourse/experiments/clip.py (export_zero_shot); loader.js calls mount() and selftest().

function model(ctx) {
  const { tensors, metadata } = ctx.model, nn = ctx.nn;
  const vocab = new Map(metadata.chars.map((c, i) => [c, i + 2]));  // models/clip.py CharTokenizer: 0 pads, 1 unknown
  const E = tensors["text_encoder.embed.weight"], H = E.shape[1];
  const scale = Math.min(Math.exp(tensors.logit_scale.data[0]), 100);  // CLIP caps 1/τ at 100
  const chars = (text) => Array.from(text);  // code points, as Python iterates a str
  return {
    scale,
    tokenize: (text) => chars(text).map((c) => vocab.get(c) ?? 1),
    unknown: (text) => [...new Set(chars(text).filter((c) => !vocab.has(c)))],
    encodeImage: (x) => nn.normalize(nn.sequential(x, tensors, metadata.image)),
    encodeText(ids) {  // embedding → Conv1d(k=3, padding 1) → ReLU → mean over characters → ReLU → Linear
      const L = ids.length, x = new Float32Array(H * L);
      for (let t = 0; t < L; t++) for (let c = 0; c < H; c++) x[c * L + t] = E.data[ids[t] * H + c];
      const h = nn.relu(nn.conv1d(x, L, tensors["text_encoder.conv.weight"], tensors["text_encoder.conv.bias"], 1));
      const pooled = new Float32Array(H);
      for (let c = 0; c < H; c++) { let s = 0; for (let t = 0; t < L; t++) s += h[c * L + t]; pooled[c] = s / L; }
      return nn.normalize(nn.linear(nn.relu(pooled), tensors["text_encoder.proj.1.weight"], tensors["text_encoder.proj.1.bias"]));
    },
    prompt: (label, template) => template.replaceAll("{w}", metadata.en_words[label]).replaceAll("{d}", String(label))
      .replaceAll("{k}", metadata.ja_words[label]),
  };
}

const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);

function probabilities(m, nn, img, prompts) {
  return nn.softmax(Float32Array.from(prompts.map((p) => m.scale * dot(img, p))));
}

export async function selftest(ctx, tests) {
  const m = model(ctx), nn = ctx.nn, meta = ctx.model.metadata, parts = { tokens: 0, image: 0, text: 0, probs: 0 };
  const imgs = [];
  for (let i = 0; i < tests.images.shape[0]; i++) {
    imgs.push(m.encodeImage(nn.row(tests.images, i)));
    parts.image = Math.max(parts.image, nn.maxAbsDiff(imgs[i], nn.row(tests.image_emb, i)));
  }
  meta.captions.forEach((c, i) => {
    const ids = m.tokenize(c), want = nn.row(tests.text_ids, i);
    parts.tokens = Math.max(parts.tokens, nn.maxAbsDiff(Float32Array.from(ids), want.subarray(0, ids.length)),
      ...Array.from(want.subarray(ids.length)));
    parts.text = Math.max(parts.text, nn.maxAbsDiff(m.encodeText(ids), nn.row(tests.text_emb, i)));
  });
  meta.templates.forEach((tmpl, j) => {
    const prompts = Array.from({ length: 10 }, (_, d) => m.encodeText(m.tokenize(m.prompt(d, tmpl))));
    imgs.forEach((img, i) => {
      parts.probs = Math.max(parts.probs, nn.maxAbsDiff(probabilities(m, nn, img, prompts), nn.row(tests[`probs_${j}`], i)));
    });
  });
  return { maxAbsDiff: Math.max(...Object.values(parts)), parts, images: imgs.length, captions: meta.captions.length };
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function mount(body, ctx) {
  const { t } = ctx, m = model(ctx), nn = ctx.nn, meta = ctx.model.metadata, id = `${ctx.name}-${ctx.lang}`;
  const grid = el("div", { class: "vae-latent__grid clip-zero-shot__grid", role: "grid",
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
  const select = el("select", { class: "clip-zero-shot__template", id: `${id}-template` },
    ...meta.templates.map((tmpl, i) => el("option", { value: String(i) },
      // On the English page a Japanese template is named in English (its prompts are still the Japanese ones).
      (ctx.lang !== "ja" && /[\u3040-\u30ff\u3400-\u9fff]/.test(tmpl) ? "Japanese: “(kanji numeral) written as a digit”"
        : tmpl.replaceAll("{w}", "…").replaceAll("{d}", "…").replaceAll("{k}", "…")) +
      (meta.train_templates.includes(tmpl) ? t(" (学習で使用)", " (used in training)") : t(" (学習で未使用)", " (unseen in training)")))));
  const bars = el("div", { class: "clip-zero-shot__bars", role: "list", "aria-label": t("10 個のクラスプロンプトの確率", "Probabilities of the ten class prompts") });
  const rows = Array.from({ length: 10 }, (_, d) => {
    const fill = el("span", { class: "clip-zero-shot__fill" }), value = el("span", { class: "clip-zero-shot__value" });
    const label = el("span", { class: "clip-zero-shot__digit" }, String(d));
    const row = el("div", { class: "clip-zero-shot__row", role: "listitem" }, label, el("span", { class: "clip-zero-shot__track" }, fill), value);
    bars.append(row);
    return { row, fill, value };
  });
  const result = el("output", { class: "clip-zero-shot__result" });
  const input = el("input", { type: "text", class: "clip-zero-shot__caption", id: `${id}-caption`, value: t("手書きの「七」", "a photo of the digit seven"),
    autocomplete: "off", spellcheck: "false" });
  const similarity = el("output", { class: "clip-zero-shot__similarity", for: input.id });
  const unknown = el("p", { class: "clip-zero-shot__unknown" });
  const clear = el("button", { type: "button", class: "md-button vae-latent__button" }, t("消す", "Clear"));
  body.append(el("div", { class: "clip-zero-shot" },
    el("div", { class: "clip-zero-shot__panel" },
      el("p", { class: "vae-latent__label" }, t("数字を描く → 画像符号化器", "Draw a digit → image encoder")), grid,
      el("div", { class: "vae-latent__buttons" }, clear),
      el("p", { class: "vae-latent__hint" }, t("塗ったマスは 1、ほかは 0: 学習データ (灰色の濃さ 0–16 を 16 で割った値) と同じ 0–1 の範囲です。",
        "A painted cell is 1, the others 0: the same 0–1 range as the training digits (grey levels 0–16 divided by 16)."))),
    el("div", { class: "clip-zero-shot__panel" },
      el("label", { for: select.id, class: "vae-latent__label" }, t("プロンプトのテンプレート", "Prompt template")), select, bars, result,
      el("label", { for: input.id, class: "vae-latent__label" }, t("自分のキャプション (日本語か英語)", "Your own caption (Japanese or English)")),
      input, similarity, unknown)));

  const grey = new Float32Array(64);
  let img = null, prompts = null, cursor = 0, caption = { text: null, emb: null };
  const empty = () => !grey.some((v) => v);

  function setPrompts() {
    const tmpl = meta.templates[Number(select.value)];
    prompts = Array.from({ length: 10 }, (_, d) => m.encodeText(m.tokenize(m.prompt(d, tmpl))));
  }
  function showCaption(announce) {
    const text = input.value, missing = m.unknown(text);
    unknown.textContent = missing.length
      ? t(`学習で見ていない文字 (未知トークン、id 1 になります): ${missing.join(" ")}`, `Characters never seen in training (each becomes the unknown token, id 1): ${missing.join(" ")}`)
      : "";
    if (!text.length || !img) {
      similarity.textContent = !text.length ? t("キャプションを入力してください。", "Type a caption.") : t("数字を描くと類似度が出ます。", "Draw a digit to see the similarity.");
      delete similarity.dataset.similarity;
      return;
    }
    if (text !== caption.text) caption = { text, emb: m.encodeText(m.tokenize(text)) };  // drawing does not re-encode it
    const s = dot(img, caption.emb);
    similarity.textContent = t(`描いた数字との類似度 (コサイン): ${s.toFixed(3)}`, `Cosine similarity to the drawing: ${s.toFixed(3)}`);
    similarity.dataset.similarity = String(s);
    if (announce) ctx.announce(similarity.textContent);
  }
  function update(announce) {
    cells.forEach((cell, i) => cell.setAttribute("aria-selected", grey[i] ? "true" : "false"));
    if (empty()) {
      img = null;
      rows.forEach(({ row, fill, value }) => { fill.style.width = "0"; value.textContent = ""; row.removeAttribute("aria-label"); row.classList.remove("is-top"); });
      result.textContent = t("マスをクリックまたはスペースで塗ると、10 個のプロンプトの確率が出ます。", "Paint cells (click, or Space) to see the probabilities of the ten prompts.");
      delete bars.dataset.probs;
    } else {
      img = m.encodeImage(grey);
      const p = probabilities(m, nn, img, prompts), best = p.indexOf(Math.max(...p));
      rows.forEach(({ row, fill, value }, d) => {
        fill.style.width = `${(100 * p[d]).toFixed(1)}%`;
        value.textContent = `${(100 * p[d]).toFixed(1)} %`;
        row.setAttribute("aria-label", `${m.prompt(d, meta.templates[Number(select.value)])}: ${(100 * p[d]).toFixed(1)} %`);
        row.classList.toggle("is-top", d === best);
      });
      bars.dataset.probs = Array.from(p).join(",");
      result.textContent = t(`最も確率が高いのは「${m.prompt(best, meta.templates[Number(select.value)])}」(${(100 * p[best]).toFixed(1)} %)`,
        `Most probable: "${m.prompt(best, meta.templates[Number(select.value)])}" (${(100 * p[best]).toFixed(1)} %)`);
      if (announce) ctx.announce(result.textContent);
    }
    showCaption(false);
  }

  let paint = null;
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
    ctx.timed("clip-zero-shot:draw", () => update(false));
  });
  grid.addEventListener("pointermove", (e) => {
    const i = cellAt(e);
    if (paint === null || i < 0 || grey[i] === paint) return;
    grey[i] = paint;
    ctx.timed("clip-zero-shot:draw", () => update(false));
  });
  const endPaint = () => { if (paint !== null) { paint = null; update(true); } };
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
    else if (e.key === " " || e.key === "Enter") { grey[cursor] = grey[cursor] ? 0 : 1; ctx.timed("clip-zero-shot:draw", () => update(true)); }
    else return;
    e.preventDefault();
  });
  clear.addEventListener("click", () => { grey.fill(0); update(true); });
  select.addEventListener("change", () => { setPrompts(); update(true); });
  input.addEventListener("input", () => ctx.timed("clip-zero-shot:caption", () => showCaption(true)));
  setPrompts();
  update(false);
}
