/* Reading aids (see course.css, "Reading aids"). Everything works without this script except:
   - a tap on a marked glossary term pins its tip open (a tap elsewhere closes it), and Escape
     hides the tip under the pointer or the keyboard focus without moving either;
   - a tip that would stick out past the window's right edge is moved back inside it;
   - printing opens every collapsed answer (<details>) and closes again afterwards those that
     were closed. */
(function () {
  "use strict";
  var MARGIN = 8;

  function tipOf(gloss) { return gloss.querySelector(".gloss__tip"); }

  function place(gloss) {
    var tip = tipOf(gloss);
    if (!tip) return;
    tip.style.left = "";
    var r = tip.getBoundingClientRect();
    if (!r.width) return;
    var width = document.documentElement.clientWidth, dx = 0;
    if (r.right > width - MARGIN) dx = width - MARGIN - r.right;
    if (r.left + dx < MARGIN) dx = MARGIN - r.left;
    if (dx) tip.style.left = dx + "px";
  }

  function open(gloss) {
    document.querySelectorAll(".gloss.is-open").forEach(function (g) { if (g !== gloss) close(g); });
    gloss.classList.remove("is-dismissed");
    gloss.classList.add("is-open");
    place(gloss);
  }

  function close(gloss) {
    gloss.classList.remove("is-open");
    if (gloss.matches(":hover") || gloss.contains(document.activeElement)) gloss.classList.add("is-dismissed");
  }

  function init() {
    document.querySelectorAll(".gloss").forEach(function (gloss) {
      var term = gloss.querySelector(".gloss__term");
      gloss.addEventListener("mouseenter", function () { place(gloss); });
      gloss.addEventListener("focusin", function () { place(gloss); });
      gloss.addEventListener("mouseleave", function () {
        if (!gloss.contains(document.activeElement)) gloss.classList.remove("is-dismissed");
      });
      gloss.addEventListener("focusout", function (e) {
        if (!gloss.contains(e.relatedTarget)) {
          gloss.classList.remove("is-dismissed");
          if (!gloss.matches(":hover")) gloss.classList.remove("is-open");
        }
      });
      if (!term) return;
      term.addEventListener("click", function () {
        if (gloss.classList.contains("is-open")) close(gloss); else open(gloss);
      });
      term.addEventListener("keydown", function (e) {  // role="button": Enter and Space act like a click
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); term.click(); }
      });
    });

    document.addEventListener("click", function (e) {
      document.querySelectorAll(".gloss.is-open").forEach(function (g) { if (!g.contains(e.target)) close(g); });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      document.querySelectorAll(".gloss").forEach(function (g) {
        if (g.classList.contains("is-open") || g.matches(":hover") || g.contains(document.activeElement)) {
          g.classList.remove("is-open");
          g.classList.add("is-dismissed");
        }
      });
    });
  }

  // Print: every answer open on paper, and the page as it was afterwards.
  var reopened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) {
      if (!d.open) { reopened.push(d); d.open = true; }
    });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
