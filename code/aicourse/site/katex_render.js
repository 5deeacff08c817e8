// Typesets TeX with KaTeX for the site build: one JSON request per line on stdin
// ({"tex": "...", "display": true}), one JSON answer per line on stdout ({"html": "..."} or
// {"error": "..."}). Started once per build by aicourse/site/math.py; argv[2] is KaTeX's folder.
"use strict";
const katex = require(process.argv[2]);
const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let answer;
  try {
    const req = JSON.parse(line);
    answer = {
      html: katex.renderToString(req.tex, {
        displayMode: Boolean(req.display),
        throwOnError: true,
        strict: "error",
        output: "htmlAndMathml", // MathML for screen readers, HTML for the eye
      }),
    };
  } catch (err) {
    answer = { error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
