// Render math with KaTeX, served by the site itself (no CDN).
// Markdown pages: pymdownx.arithmatex wraps math in .arithmatex as \( \) and \[ \].
// Notebook pages: cells keep the $ … $ and $$ … $$ their authors wrote.
document.addEventListener("DOMContentLoaded", function () {
  var options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false }
    ],
    throwOnError: false
  };
  document.querySelectorAll(".arithmatex, .jupyter-wrapper .jp-MarkdownCell").forEach(function (el) {
    renderMathInElement(el, options);
  });
});
