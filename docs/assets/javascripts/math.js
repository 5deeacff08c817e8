// Render math with KaTeX, served by the site itself (no CDN), and only on pages that have math:
// KaTeX (~300 KB) is fetched when the page holds some, so other pages stay light.
// Markdown pages: pymdownx.arithmatex wraps math in .arithmatex as \( \) and \[ \].
// Notebook pages: cells keep the $ … $ and $$ … $$ their authors wrote.
(function () {
  var base = new URL("../katex/", document.currentScript.src);
  var selector = ".arithmatex, .jupyter-wrapper .jp-MarkdownCell";

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (k) { el[k] = attrs[k]; });
      el.onload = resolve;
      el.onerror = function () { reject(new Error("cannot load " + (attrs.src || attrs.href))); };
      document.head.appendChild(el);
    });
  }

  function hasMath() {
    if (document.querySelector(".arithmatex")) return true;
    return Array.prototype.some.call(document.querySelectorAll(".jupyter-wrapper .jp-MarkdownCell"), function (el) {
      return /\$|\\\(|\\\[/.test(el.textContent);
    });
  }

  function render() {
    if (!hasMath()) return;
    Promise.all([
      load("link", { rel: "stylesheet", href: new URL("katex.min.css", base).href }),
      load("script", { src: new URL("katex.min.js", base).href })
    ]).then(function () {
      return load("script", { src: new URL("contrib/auto-render.min.js", base).href });
    }).then(function () {
      var options = {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "\\[", right: "\\]", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false
      };
      document.querySelectorAll(selector).forEach(function (el) { renderMathInElement(el, options); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
