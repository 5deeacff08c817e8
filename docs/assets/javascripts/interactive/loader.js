// Interactive figures: what every page with one loads first (about 2 KB). The page glue
// (code/aicourse/site/interactive.py) writes, for `{{ interactive: NAME "caption" }}`,
//
//   <figure class="interactive-figure" data-interactive="NAME" data-weights="…/NAME.safetensors"
//           data-tests="…/NAME.test.safetensors" data-lang="ja" hidden>
//     <div class="interactive-figure__body">…</div><p class="interactive-figure__live" aria-live="polite"></p>
//     <figcaption>…</figcaption></figure>
//
// This script reveals each one (without JavaScript it stays hidden and the static figure beside it
// is all there is) and, when it comes within a screen of the viewport, imports ./NAME.js and nn.js,
// fetches the weights and calls the module's mount(body, ctx). A module exports
//
//   mount(body, ctx)          build the figure inside `body`
//   selftest(ctx, tests)      run the exported test vectors (tests: name -> tensor) through the
//                             page's model; return { maxAbsDiff, ... }
//
// and gets ctx = { name, lang, t(ja, en), model: { tensors, metadata }, nn, announce(text),
// timed(label, fn) }. For the browser tests and the benchmark, window.aicourseInteractive has
// load(), selftest() and timings (label -> milliseconds of each timed update).

const here = new URL(".", import.meta.url);
const started = new Map();  // figure element -> Promise of { module, ctx }
const timings = {};

function context(el, nn, model) {
  const lang = el.dataset.lang || document.documentElement.lang || "ja";
  const live = el.querySelector(".interactive-figure__live");
  let pending = 0;
  return {
    name: el.dataset.interactive, lang, model, nn,
    t: (ja, en) => (lang === "ja" ? ja : en),
    // Screen readers hear the last result once the reader pauses, not every intermediate one.
    announce(text) {
      clearTimeout(pending);
      pending = setTimeout(() => { if (live) live.textContent = text; }, 250);
    },
    timed(label, fn) {
      const t0 = performance.now();
      const result = fn();
      (timings[label] ||= []).push(performance.now() - t0);
      return result;
    },
  };
}

function start(el) {
  if (!started.has(el)) {
    started.set(el, (async () => {
      const [module, nn] = await Promise.all([
        import(new URL(`${el.dataset.interactive}.js`, here)), import(new URL("nn.js", here))]);
      const model = await nn.load(el.dataset.weights);
      const ctx = context(el, nn, model);
      const body = el.querySelector(".interactive-figure__body");
      body.textContent = "";
      await module.mount(body, ctx);
      el.classList.add("is-ready");
      return { module, ctx, nn };
    })().catch((error) => {
      const body = el.querySelector(".interactive-figure__body");
      body.textContent = (document.documentElement.lang === "ja" ? "読み込めませんでした: " : "Could not load: ") + error.message;
      throw error;
    }));
  }
  return started.get(el);
}

const figures = Array.from(document.querySelectorAll(".interactive-figure[data-interactive]"));
const observer = "IntersectionObserver" in window
  ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) { observer.unobserve(entry.target); start(entry.target).catch(console.error); }
    }
  }, { rootMargin: "100% 0px" })
  : null;
for (const el of figures) {
  el.hidden = false;
  if (observer) observer.observe(el); else start(el).catch(console.error);
}

window.aicourseInteractive = {
  timings,
  // Load the named figures (all by default) now, wherever they are on the page.
  load: (name) => Promise.all(figures.filter((el) => !name || el.dataset.interactive === name).map(start)),
  // Each figure's exported test vectors through the page's model: [{ name, lang, maxAbsDiff, ... }].
  async selftest(name) {
    const out = [];
    for (const el of figures.filter((f) => !name || f.dataset.interactive === name)) {
      const { module, ctx, nn } = await start(el);
      const tests = await nn.load(el.dataset.tests);
      out.push({ name: ctx.name, lang: ctx.lang, ...(await module.selftest(ctx, tests.tensors)) });
    }
    return out;
  },
};
