"""Every lecture teaches back: questions with hidden answers, exercises with hidden solutions, references.

Read from the Markdown sources (no build): each lecture page, in both languages, ends with the
three sections in order; the two languages ask the same questions and exercises (count, kind
and order) and cite the same works (same links, same order); every reference links to its
identifier; a notebook exercise's solution quotes run results only through ``{{ exp.key }}``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "docs" / "lectures").glob("*.ja.md"))

SECTIONS = {
    "ja": ("確認問題", "演習", "参考文献"),
    "en": ("Check your understanding", "Exercises", "References"),
}
QUESTION = {"ja": re.compile(r"^\*\*問 (\d+)\.\*\*", re.M), "en": re.compile(r"^\*\*Question (\d+)\.\*\*", re.M)}
EXERCISE = {"ja": re.compile(r"^\*\*演習 (\d+) \((ノートブック|紙と鉛筆)\)\.\*\*", re.M),
            "en": re.compile(r"^\*\*Exercise (\d+) \((notebook|on paper)\)\.\*\*", re.M)}
KIND = {"ノートブック": "notebook", "紙と鉛筆": "paper", "notebook": "notebook", "on paper": "paper"}
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")
# a typed run result: a decimal number or a percentage
TYPED_NUMBER = re.compile(r"\d+\.\d+|\d\s*[%％]")


def _sections(text: str) -> dict[str, str]:
    """Level-2 sections by title (the body runs to the next level-2 heading)."""
    parts = re.split(r"^## +(.+?)\s*$", text, flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2])}


def _h2_titles(text: str) -> list[str]:
    return [m.strip() for m in re.findall(r"^## +(.+?)\s*$", text, flags=re.M)]


def _blocks(body: str, kind: str) -> list[str]:
    """The indented bodies of ``??? kind "…"`` blocks, in order."""
    out = []
    for m in re.finditer(rf'^\?\?\?\+? {kind}\b.*\n((?:(?: {{4}}.*)?\n)*)', body, flags=re.M):
        out.append(m[1])
    return out


def _page(ja: Path, lang: str) -> tuple[str, str]:
    path = ja if lang == "ja" else ja.with_name(ja.name.replace(".ja.md", ".en.md"))
    return path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _has_notebook(ja: Path) -> bool:
    return (ROOT / "lectures" / (ja.name.removesuffix(".ja.md") + ".ipynb")).exists()


# Lectures whose teach-back sections are still being written (issue 13). strict: a case that
# starts passing fails until its lecture is removed from this list, so it cannot be forgotten.
NOT_YET_WRITTEN: set[str] = set()


def _lecture(p: Path):
    name = p.name.removesuffix(".ja.md")
    marks = [pytest.mark.xfail(strict=True, reason="issue 13: sections not written yet")] if name in NOT_YET_WRITTEN else []
    return pytest.param(p, id=name, marks=marks)


LECTURE_PARAMS = [_lecture(p) for p in LECTURES]
ALL_LECTURES = [pytest.param(p, id=p.name.removesuffix(".ja.md")) for p in LECTURES]  # rules that hold vacuously too


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("ja", LECTURE_PARAMS)
def test_the_three_sections_close_the_page(ja, lang):
    name, text = _page(ja, lang)
    titles = _h2_titles(text)
    for section in SECTIONS[lang]:
        assert section in titles, f"{name}: section '## {section}' is missing"
    assert titles[-3:] == list(SECTIONS[lang]), f"{name}: the page must end with {SECTIONS[lang]} in order, has {titles[-3:]}"


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("ja", LECTURE_PARAMS)
def test_questions_and_exercises_have_hidden_answers(ja, lang):
    name, text = _page(ja, lang)
    sections = _sections(text)
    check, exercises = sections.get(SECTIONS[lang][0], ""), sections.get(SECTIONS[lang][1], "")
    questions = QUESTION[lang].findall(check)
    assert 3 <= len(questions) <= 5, f"{name}: {len(questions)} questions (want 3–5)"
    assert len(_blocks(check, "answer")) == len(questions), f"{name}: every question needs one '??? answer' block"
    found = EXERCISE[lang].findall(exercises)
    assert 2 <= len(found) <= 4, f"{name}: {len(found)} exercises (want 2–4)"
    assert len(_blocks(exercises, "solution")) == len(found), f"{name}: every exercise needs one '??? solution' block"
    kinds = [KIND[k] for _, k in found]
    assert "paper" in kinds, f"{name}: no exercise on paper"
    if _has_notebook(ja):
        assert "notebook" in kinds, f"{name}: no exercise done in the lecture's notebook"
    for block in _blocks(check, "answer") + _blocks(exercises, "solution"):
        assert block.strip(), f"{name}: an empty answer or solution"


@pytest.mark.parametrize("ja", ALL_LECTURES)
def test_both_languages_ask_the_same_and_cite_the_same(ja):
    shapes = {}
    for lang in ("ja", "en"):
        name, text = _page(ja, lang)
        sections = _sections(text)
        shapes[lang] = {
            "questions": len(QUESTION[lang].findall(sections.get(SECTIONS[lang][0], ""))),
            "exercises": [KIND[k] for _, k in EXERCISE[lang].findall(sections.get(SECTIONS[lang][1], ""))],
            "references": LINK.findall(sections.get(SECTIONS[lang][2], "")),
        }
    for key in shapes["ja"]:
        assert shapes["ja"][key] == shapes["en"][key], (
            f"{ja.relative_to(ROOT)} and its English twin differ in {key}: ja {shapes['ja'][key]} vs en {shapes['en'][key]}")


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("ja", LECTURE_PARAMS)
def test_every_reference_links_to_its_identifier(ja, lang):
    name, text = _page(ja, lang)
    refs = _sections(text).get(SECTIONS[lang][2], "")
    items = [line for line in refs.splitlines() if re.match(r"^\s*[-*] ", line)]
    assert items, f"{name}: the references section lists nothing"
    bare = [line.strip() for line in items if not LINK.search(line)]
    assert not bare, f"{name}: references without an identifier link: {bare}"


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("ja", ALL_LECTURES)
def test_notebook_solutions_quote_run_results_only_as_computed_values(ja, lang):
    name, text = _page(ja, lang)
    exercises = _sections(text).get(SECTIONS[lang][1], "")
    # each exercise runs from its label to the next label; its solution is the block inside
    chunks = re.split(EXERCISE[lang].pattern, exercises, flags=re.M)
    for number, kind, chunk in zip(chunks[1::3], chunks[2::3], chunks[3::3]):
        if KIND[kind] != "notebook":
            continue
        for block in _blocks(chunk, "solution"):
            prose = re.sub(r"\{\{[^}]*\}\}|\$\$.*?\$\$|\$[^$\n]*\$|`[^`\n]*`", " ", block, flags=re.S)
            typed = TYPED_NUMBER.findall(prose)
            assert not typed, (f"{name}: the solution of exercise {number} types run results {typed}; "
                               "quote them from the experiment with {{ experiment.key }}")


def test_a_typed_result_is_caught():
    """The rule above can fail: a solution with a typed accuracy is rejected, a computed one passes."""
    typed = "??? solution \"x\"\n    The accuracy was 97.3 %.\n"
    computed = "??? solution \"x\"\n    The accuracy was {{ clip.accuracy }}, see $0.5$ and `lr=0.01`.\n"
    strip = lambda b: re.sub(r"\{\{[^}]*\}\}|\$[^$\n]*\$|`[^`\n]*`", " ", _blocks(b, "solution")[0])  # noqa: E731
    assert TYPED_NUMBER.findall(strip(typed)) and not TYPED_NUMBER.findall(strip(computed))
