"""The course's structured content: the syllabus and the glossary, read from ``docs/_data``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from aicourse import LANGS


class ContentError(Exception):
    """Bad course data; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Lecture:
    number: int
    slug: str
    part: str
    title: dict
    summary: dict

    @property
    def id(self) -> str:
        """``02-learning-from-data``: the name of its pages and its notebook."""
        return f"{self.number:02d}-{self.slug}"

    def page(self, lang: str) -> str:
        return f"lectures/{self.id}.{lang}.md"

    def notebook(self) -> str:
        return f"lectures/{self.id}.ipynb"


def _bilingual(value, where: str) -> dict:
    if not isinstance(value, dict) or any(not str(value.get(lang, "")).strip() for lang in LANGS):
        raise ContentError(f"{where}: needs a non-empty text for each of {', '.join(LANGS)}")
    return value


def load_syllabus(path: Path) -> tuple[list[dict], list[Lecture]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: cannot be read: {exc}") from None
    parts = data.get("parts", [])
    part_ids = {p["id"] for p in parts}
    lectures = []
    for i, item in enumerate(data.get("lectures", [])):
        where = f"{path}: lecture {i + 1}"
        if item.get("part") not in part_ids:
            raise ContentError(f"{where}: part {item.get('part')!r} is not one of {sorted(part_ids)}")
        lectures.append(Lecture(int(item["number"]), item["slug"], item["part"],
                                _bilingual(item.get("title"), where + " title"),
                                _bilingual(item.get("summary"), where + " summary")))
    numbers = [lec.number for lec in lectures]
    if numbers != sorted(set(numbers)):
        raise ContentError(f"{path}: lecture numbers must be unique and in order, got {numbers}")
    return parts, lectures


@dataclass(frozen=True)
class Term:
    ja: str
    en: str
    reading: str
    lecture: str  # lecture id, or "" for a term of a page outside the lectures
    note: dict
    page: str = ""  # the page that introduces it, under docs/ without language: "lectures/13-vae", "maths"


def load_glossary(directory: Path, lectures: list[Lecture]) -> list[Term]:
    """Terms from ``<lecture id>.yml`` files, one per lecture, in lecture order, then those of other
    pages: ``maths.yml`` holds the terms of ``docs/maths.*.md``, which must exist."""
    known = {lec.id for lec in lectures}
    docs_dir = directory.parent.parent
    terms = []
    paths = sorted(directory.glob("*.yml"), key=lambda p: (p.stem not in known, p.stem))
    for path in paths:
        if path.stem in known:
            lecture, page = path.stem, f"lectures/{path.stem}"
        elif (docs_dir / f"{path.stem}.ja.md").exists():
            lecture, page = "", path.stem
        else:
            raise ContentError(f"{path}: no lecture '{path.stem}' in the syllabus and no page docs/{path.stem}.ja.md")
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise ContentError(f"{path}: cannot be read: {exc}") from None
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("ja") or not item.get("en"):
                raise ContentError(f"{path}: entry {i + 1} needs both 'ja' and 'en'")
            terms.append(Term(item["ja"], item["en"], item.get("reading", ""), lecture,
                              _bilingual(item.get("note"), f"{path}: entry {i + 1} ({item['ja']}) note"), page))
    return terms


def check_twins(docs_dir: Path) -> None:
    """Every page exists in both languages (``page.ja.md`` and ``page.en.md``); name the first that does not."""
    langs_of: dict[Path, set[str]] = {}
    for path in sorted(docs_dir.rglob("*.md")):
        rel = path.relative_to(docs_dir)
        if rel.parts[0] in ("_data", "overrides"):
            continue
        base, _, lang = path.stem.rpartition(".")
        if lang not in LANGS:
            raise ContentError(f"{docs_dir.name}/{rel}: a page's name must end in "
                               + " or ".join(f".{x}.md" for x in LANGS))
        langs_of.setdefault(rel.with_name(base), set()).add(lang)
    for base, langs in sorted(langs_of.items()):
        for missing in LANGS:
            if missing not in langs:
                have = sorted(langs)[0]
                raise ContentError(f"{docs_dir.name}/{base}.{have}.md has no translation: "
                                   f"{docs_dir.name}/{base}.{missing}.md is missing")
