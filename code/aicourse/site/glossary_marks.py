"""Reading aids applied to a page's finished HTML: glossary marks on lecture pages, readable
heading anchors (and a table of contents) on notebook pages.

**Glossary marks.** The first occurrence of each glossary term in a lecture is wrapped in a
focusable mark whose tip shows the term in the other language, its short meaning in the page's
language and a link to the term's row in the glossary. Python-Markdown's ``abbr`` matches on word
boundaries and so misses 拡散モデルは or VAEとは; here Japanese is matched as written (longest term
first, so 変分オートエンコーダ wins over オートエンコーダ; a katakana term does not match inside a
longer katakana word) and English as whole words, regardless of case (plurals too). Nothing inside
code, math, headings, links, tables, summaries or attributes is touched.

**Notebook headings.** nbconvert names Japanese headings ``#10`` or ``#``; they get the slug that
``toc.slugify`` in mkdocs.yml gives lecture headings, and the page's own language's headings make
the right-hand table of contents. Two scripts of nbconvert's template that the site never runs go:
MathJax's configuration (the build typesets math) and the Mermaid loader (no notebook draws a
diagram, and it would fetch Mermaid from a CDN); ~12 KB off every notebook page.

The HTML is read with ``html.parser`` and rewritten in place: only the text nodes that get a mark
and the heading tags that get an id change; every other byte of the page stays as it was.
Kept free of mkdocs: functions of the HTML, the glossary and the page's language.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

from aicourse.site.content import Term

# ---------------------------------------------------------------------------------------------
# Reading HTML as tokens that keep their source offsets


@dataclass
class Token:
    kind: str  # "start", "startend", "end", "data", "other" (comments, entities, declarations)
    start: int
    end: int
    tag: str = ""
    attrs: list = field(default_factory=list)


class _Tokenizer(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)  # entities stay tokens of their own: text is raw
        self.tokens: list[Token] = []
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _at(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _add(self, kind, tag="", attrs=()):
        self.tokens.append(Token(kind, self._at(), -1, tag, list(attrs)))

    def handle_starttag(self, tag, attrs):
        self._add("start", tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._add("startend", tag, attrs)

    def handle_endtag(self, tag):
        self._add("end", tag)

    def handle_data(self, data):
        self._add("data")

    def _other(self, *args):
        self._add("other")

    handle_entityref = handle_charref = handle_comment = handle_decl = handle_pi = unknown_decl = _other


def tokenize(text: str) -> list[Token]:
    """``text`` as tokens; ``text[t.start:t.end]`` is each token's source, and together they cover it."""
    parser = _Tokenizer(text)
    parser.feed(text)
    parser.close()
    tokens = parser.tokens
    for tok, nxt in zip(tokens, tokens[1:]):
        tok.end = nxt.start
    if tokens:
        tokens[-1].end = len(text)
    # A token whose source could not be placed (it would have to go backwards) is left alone.
    return [t for t in tokens if t.end >= t.start]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _classes(attrs) -> set[str]:
    return set((dict(attrs).get("class") or "").split())


# ---------------------------------------------------------------------------------------------
# Glossary marks

# Where a term is never marked: the list (code, math, headings, links, alt text: attributes
# are never touched), plus what a tip cannot sit in (tables scroll and would clip it; a summary or a
# label toggles on click; buttons and form fields).
SKIP_TAGS = {"a", "code", "pre", "kbd", "samp", "script", "style", "textarea", "button", "select", "option",
             "label", "summary", "svg", "math", "table", "title", "noscript", "template", "iframe", "object",
             "h1", "h2", "h3", "h4", "h5", "h6"}
SKIP_CLASSES = {"katex", "katex-display", "arithmatex", "gloss", "headerlink", "admonition-title", "notebook-links",
                "md-button", "glossary-skip",
                "interactive-figure"}  # a widget its script fills in (aicourse.site.interactive), hidden until then

KATAKANA = "\u30a1-\u30fa\u30fc"  # katakana letters and the prolonged sound mark (not the middle dot ・)
IS_KATAKANA = re.compile(f"[{KATAKANA}]")
PAREN = re.compile(r"\s*\(([^()]*)\)")
GLOSSARY_LABEL = {"ja": "用語集で見る", "en": "See the glossary"}


def strip_parens(text: str) -> str:
    """``拡散モデル (diffusion model)`` → ``拡散モデル``; nested parentheses too."""
    prev = None
    while prev != text:
        prev, text = text, PAREN.sub("", text)
    return text.strip()


def _parentheticals(text: str) -> list[str]:
    return [m.group(1).strip() for m in PAREN.finditer(text)]


def _is_acronym(text: str) -> bool:
    """``VAE``, ``k-NN``, ``ViT``, ``VE SDE``: ASCII words each with a capital, two capitals at least."""
    words = text.split()
    return (bool(words) and text.isascii() and "$" not in text and sum(c.isupper() for c in text) >= 2
            and all(any(c.isupper() for c in w) for w in words))


def term_forms(term: Term, lang: str) -> list[str]:
    """The spellings that count as this term in running text of ``lang``.

    Japanese: the term without its parentheticals, and the acronyms it has in either language
    (VAE for 変分オートエンコーダ (VAE), MSE for 平均二乗誤差). English: the term without its
    parentheticals, and the alternatives in them (``posterior (posterior distribution)``) except
    qualifiers (``(of a softmax)``) and lower-case tags (``(diffusers)``, ``(fp16)``).
    """
    forms = []
    if lang == "ja":
        forms.append(strip_parens(term.ja))
        extra = _parentheticals(term.ja) + _parentheticals(term.en) + [strip_parens(term.en)]
        forms += [x for x in extra if _is_acronym(x)]
    else:
        forms.append(strip_parens(term.en))
        for alt in _parentheticals(term.en):
            if "$" in alt or re.match(r"(of|in|for|the|a|an)\s", alt):
                continue
            if len(alt.split()) > 1 or _is_acronym(alt):
                forms.append(alt)
    out = []
    for form in forms:
        form = " ".join(form.split())
        if len(form) >= 2 and "$" not in form and form not in out:
            out.append(form)
    return out


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _form_pattern(form: str, lang: str) -> str:
    body = []
    for i, ch in enumerate(form):
        if ch == " ":
            both_ascii = _ascii_word(form[i - 1]) and _ascii_word(form[i + 1])
            body.append(r"\s+" if lang == "en" or both_ascii else r"\s*")  # 生成 AI and 生成AI alike
        elif ch in "-–‐":
            body.append("[-–‐]")
        elif ch in "'’":
            body.append("['’]")
        else:
            body.append(re.escape(ch))
    first, last = form[0], form[-1]
    if lang == "en" and last.isalpha():  # plurals: "autoencoders", "probabilities"
        if last == "y" and len(form) > 1 and form[-2] not in "aeiou":
            body[-1] = "(?:y|ies)"
        else:
            body.append("(?:s|es)?")
    pattern = "".join(body)
    if sum(c.isupper() for c in form) < 2:  # acronyms keep their case; words do not
        pattern = f"(?i:{pattern})"
    before = after = ""
    if lang == "en":
        if re.match(r"\w", first):
            before = r"(?<![\w-])"
        if re.match(r"\w", last):
            after = r"(?![\w-])"
    else:
        if IS_KATAKANA.match(first):
            before = f"(?<![{KATAKANA}])"
        elif _ascii_word(first):
            before = r"(?<![A-Za-z0-9-])"
        if IS_KATAKANA.match(last):
            pattern += "ー?"  # オートエンコーダー, written with the long mark, is the same word
            after = f"(?![{KATAKANA}])"
        elif _ascii_word(last):
            after = r"(?![A-Za-z0-9-])"
    return before + pattern + after


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKC", strip_parens(text) or text).lower()
    return re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-_") or "term"


def term_anchors(terms: list[Term]) -> list[str]:
    """The id of each term's row in the glossary, from its English name (so the same in both
    languages): ``g-variational-autoencoder``; a repeated name gets ``-2``, ``-3``."""
    seen: dict[str, int] = {}
    out = []
    for term in terms:
        base = "g-" + _slug(term.en)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


class Matcher:
    """All terms' spellings for one language, as one pattern tried longest first."""

    def __init__(self, terms: list[Term], lang: str):
        self.lang = lang
        entries = []  # (form, index of term)
        key = lambda form: form.lower() if sum(c.isupper() for c in form) < 2 else form  # noqa: E731
        # A term's own name is never another's alternative: "GPU" in "synchronization (GPU)" is a
        # qualifier, and the GPU is a term of its own.
        seen = {key(forms[0]) for forms in (term_forms(t, lang) for t in terms) if forms}
        for i, term in enumerate(terms):
            for n, form in enumerate(term_forms(term, lang)):
                if n == 0 or key(form) not in seen:  # a spelling shared by two terms belongs to the first
                    seen.add(key(form))
                    entries.append((form, i))
        entries.sort(key=lambda e: -len(e[0]))
        self.owner = [i for _, i in entries]
        self.forms = [f for f, _ in entries]
        # A position whose character starts no spelling is passed over at once: without this the
        # engine tried every alternative at every character of the page.
        first = set()
        for form, _ in entries:
            ch = form[0]
            first |= {ch, ch.lower(), ch.upper()} | (set("-–‐") if ch in "-–‐" else set()) | (set("'’") if ch in "'’" else set())
        alternatives = "|".join(f"(?P<t{n}>{_form_pattern(f, lang)})" for n, (f, _) in enumerate(entries))
        starts = "".join(sorted(re.escape(c) for c in first))
        # In English every spelling starts a word, so a position inside a word is passed over too.
        word_start = r"(?<![\w-])" if lang == "en" and all(re.match(r"\w", f) for f, _ in entries) else ""
        self.pattern = re.compile(f"{word_start}(?=[{starts}])(?:{alternatives})") if entries else None

    def finditer(self, text: str):
        """(start, end, term index) of every spelling in ``text``, leftmost longest first."""
        if self.pattern is None:
            return
        for m in self.pattern.finditer(text):
            yield m.start(), m.end(), self.owner[int(m.lastgroup[1:])]


def note_html(text: str, math=None) -> str:
    """A glossary note as HTML: text escaped, ``$…$`` typeset by ``math(tex)`` when given."""
    if math is None:
        return htmllib.escape(text, quote=False)
    out, pos = [], 0
    for m in re.finditer(r"(?<!\\)\$([^$]+?)(?<!\\)\$", text):
        out.append(htmllib.escape(text[pos:m.start()], quote=False))
        out.append(math(m.group(1)))
        pos = m.end()
    out.append(htmllib.escape(text[pos:], quote=False))
    return "".join(out)


def _mark(shown: str, term: Term, anchor: str, n: int, lang: str, href: str, math) -> str:
    twin_lang = "en" if lang == "ja" else "ja"
    twin = note_html(term.en if lang == "ja" else term.ja, math)
    if twin_lang == "ja" and term.reading:
        twin += f' <span class="gloss__reading">({htmllib.escape(term.reading)})</span>'
    tip = f"gloss-tip-{n}"
    return (
        f'<span class="gloss">'
        f'<span class="gloss__term" tabindex="0" role="button" aria-describedby="{tip}">{shown}</span>'
        f'<span class="gloss__tip" id="{tip}" data-pagefind-ignore>'
        f'<span class="gloss__twin" lang="{twin_lang}">{twin}</span>'
        f'<span class="gloss__note">{note_html(term.note[lang], math)}</span>'
        f'<a class="gloss__more" href="{htmllib.escape(href)}#{anchor}">{GLOSSARY_LABEL[lang]}</a>'
        f"</span></span>"
    )


@dataclass
class Marked:
    html: str
    terms: list[Term]  # in the order they were marked
    math: bool  # whether a tip holds typeset math (the page then needs KaTeX's stylesheet)


def mark_terms(html: str, terms: list[Term], lang: str, glossary_href: str, math=None,
               matcher: Matcher | None = None) -> Marked:
    """Mark the first occurrence of each term of ``terms`` in ``html`` (a page in ``lang``).

    ``glossary_href`` is the glossary page's URL relative to this page (``../../glossary/``);
    ``math(tex)`` typesets the inline math of notes (KaTeX on the site; left as text without it).
    """
    matcher = matcher or Matcher(terms, lang)
    anchors = term_anchors(terms)
    used: set[int] = set()
    marked: list[Term] = []
    had_math = False
    out, pos, stack, skipping = [], 0, [], 0
    for tok in tokenize(html):
        if tok.kind == "start" and tok.tag not in VOID:
            skip = (tok.tag in SKIP_TAGS or bool(_classes(tok.attrs) & SKIP_CLASSES)
                    or any(name == "hidden" for name, _ in tok.attrs))  # a reader could not hover it
            stack.append((tok.tag, skip))
            skipping += skip
        elif tok.kind == "end":
            names = [name for name, _ in stack]
            if tok.tag in names:
                while stack:
                    name, skip = stack.pop()
                    skipping -= skip
                    if name == tok.tag:
                        break
        elif tok.kind == "data" and not skipping:
            text = html[tok.start:tok.end]
            pieces, cursor = [], 0
            for start, end, i in matcher.finditer(text):
                if i in used:  # a later occurrence (perhaps of a longer term): left as it is
                    continue
                used.add(i)
                marked.append(terms[i])
                note_math = math is not None and "$" in (terms[i].note[lang] + terms[i].en + terms[i].ja)
                had_math = had_math or note_math
                pieces.append(text[cursor:start])
                pieces.append(_mark(text[start:end], terms[i], anchors[i], len(marked), lang, glossary_href, math))
                cursor = end
            if pieces:
                out.append(html[pos:tok.start])
                out.append("".join(pieces) + text[cursor:])
                pos = tok.end
    out.append(html[pos:])
    return Marked("".join(out), marked, had_math)


# ---------------------------------------------------------------------------------------------
# Notebook headings

HEADING = re.compile(r"h[1-6]$")
LANG_TAG = re.compile(r"celltag_lang-(\w+)")


def _start_tag(tag: str, attrs: list) -> str:
    parts = [tag] + [name if value is None else f'{name}="{htmllib.escape(value)}"' for name, value in attrs]
    return "<" + " ".join(parts) + ">"


def _set_attr(attrs: list, name: str, value: str) -> list:
    out = [(k, v) for k, v in attrs if k != name]
    return [(name, value)] + out if name == "id" else out + [(name, value)]


@dataclass
class NotebookHeadings:
    html: str
    toc: list[dict]  # Markdown-style toc tokens: {"level", "id", "name", "children"}, the page's language only


def notebook_headings(html: str, lang: str, slugify, sep: str = "-") -> NotebookHeadings:
    """Give each heading of a notebook page the id ``slugify(text, sep)`` (made unique as Markdown's
    toc does: ``_1``, ``_2``), point its ``¶`` link there, and list the headings of ``lang`` (cells
    tagged ``lang-<lang>`` or untagged) as toc tokens, nested by level."""
    from markdown.extensions.toc import unique

    tokens = tokenize(html)
    ids: set[str] = set()
    for tok in tokens:  # ids the page has besides its headings keep theirs
        if tok.kind in ("start", "startend") and not HEADING.match(tok.tag):
            value = dict(tok.attrs).get("id")
            if value:
                ids.add(value)

    headings = []  # (index of the start token, index of the end token, text, language)
    stack: list[tuple[str, str | None]] = []
    current = None
    for n, tok in enumerate(tokens):
        if tok.kind == "start" and tok.tag not in VOID:
            m = LANG_TAG.search(dict(tok.attrs).get("class") or "")
            stack.append((tok.tag, m.group(1) if m else None))
            if HEADING.match(tok.tag) and current is None:
                cell_lang = next((lg for _, lg in reversed(stack) if lg), None)
                current = {"start": n, "text": [], "lang": cell_lang, "level": int(tok.tag[1]), "skip": 0}
            elif current is not None and tok.tag == "a" and "anchor-link" in _classes(tok.attrs):
                current["skip"] += 1
        elif tok.kind == "end":
            names = [name for name, _ in stack]
            if tok.tag in names:
                while stack and stack.pop()[0] != tok.tag:
                    pass
            if current is not None:
                if tok.tag == "a" and current["skip"]:
                    current["skip"] -= 1
                elif tok.tag == f"h{current['level']}":
                    current["end"] = n
                    headings.append(current)
                    current = None
        elif current is not None and not current["skip"] and tok.kind in ("data", "other"):
            raw = html[tok.start:tok.end]
            if tok.kind == "data" or raw.startswith("&"):
                current["text"].append(htmllib.unescape(raw))

    replace: dict[int, str] = {}
    flat = []
    for h in headings:
        text = " ".join("".join(h["text"]).split())
        label = text.replace("$", "")  # inline math reads as its letters in the table of contents
        new_id = unique(slugify(label, sep), ids)
        start = tokens[h["start"]]
        old_id = dict(start.attrs).get("id")
        replace[h["start"]] = _start_tag(start.tag, _set_attr(start.attrs, "id", new_id))
        for k in range(h["start"] + 1, h["end"]):  # the ¶ link
            t = tokens[k]
            if t.kind == "start" and t.tag == "a" and "anchor-link" in _classes(t.attrs):
                href = dict(t.attrs).get("href")
                if href is None or href == f"#{old_id or ''}":
                    replace[k] = _start_tag("a", _set_attr(t.attrs, "href", f"#{new_id}"))
        if h["lang"] in (None, lang):
            flat.append({"level": h["level"], "id": new_id, "name": htmllib.escape(label, quote=False), "children": []})

    out, pos = [], 0
    for k, new in sorted(replace.items()):
        tok = tokens[k]
        out.append(html[pos:tok.start])
        out.append(new)
        pos = tok.end
    out.append(html[pos:])
    return NotebookHeadings("".join(out), _nest(flat))


def _nest(flat: list[dict]) -> list[dict]:
    root: list[dict] = []
    parents: list[dict] = []
    for item in flat:
        while parents and parents[-1]["level"] >= item["level"]:
            parents.pop()
        (parents[-1]["children"] if parents else root).append(item)
        parents.append(item)
    return root


# nbconvert's lab template scripts the site never needs, told apart by what they contain.
UNUSED_SCRIPTS = (
    ("text/x-mathjax-config", "MathJax"),  # math is typeset by the build (aicourse.site.math)
    ("module", ".jp-Mermaid"),  # loads Mermaid from cdnjs when a cell has a diagram; none has
)


def drop_unused_scripts(html: str) -> str:
    """Remove the inline ``<script>`` blocks of ``UNUSED_SCRIPTS`` from a notebook page."""
    tokens = tokenize(html)
    cut = []
    for n, tok in enumerate(tokens):
        if tok.kind != "start" or tok.tag != "script" or "src" in dict(tok.attrs):
            continue
        end = next((k for k in range(n + 1, len(tokens)) if tokens[k].kind == "end" and tokens[k].tag == "script"), None)
        if end is None:
            continue
        kind = dict(tok.attrs).get("type") or ""
        body = html[tok.end:tokens[end].start]
        if any(kind == t and marker in body for t, marker in UNUSED_SCRIPTS):
            cut.append((tok.start, tokens[end].end))
    out, pos = [], 0
    for start, end in cut:
        out.append(html[pos:start])
        pos = end
    out.append(html[pos:])
    return "".join(out)
