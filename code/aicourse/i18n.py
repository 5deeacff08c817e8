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
