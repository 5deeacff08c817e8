"""Bilingual text for figures: every label is written in both languages at once."""

from __future__ import annotations

from dataclasses import dataclass

from aicourse import LANGS


@dataclass(frozen=True)
class Text:
    """Picks the page language's wording: ``t = Text("en"); t("損失", "loss") == "loss"``."""

    lang: str

    def __post_init__(self):
        if self.lang not in LANGS:
            raise ValueError(f"unknown language {self.lang!r}; expected one of {LANGS}")

    def __call__(self, ja: str, en: str) -> str:
        return ja if self.lang == "ja" else en


def by_sign(difference: float, above: tuple[str, str], below: tuple[str, str], same: tuple[str, str]) -> tuple[str, str]:
    """The (ja, en) wording of a comparison, chosen by the sign of ``difference``.

    ``above`` and ``below`` may use ``{d}``, which receives the size of the difference, so a page
    sentence stays true whichever way a run comes out: ``by_sign(a - b, ("{d} 高い", "{d} higher"), …)``.
    """
    if difference > 0:
        ja, en = above
    elif difference < 0:
        ja, en = below
    else:
        ja, en = same
    size = f"{abs(difference):.1f}"
    return ja.format(d=size), en.format(d=size)
