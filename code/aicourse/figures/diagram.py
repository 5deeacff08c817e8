"""Boxes and arrows for schematic figures, so diagrams are drawn by code like every plot.

Coordinates are in data units of an axes made by :func:`canvas`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from aicourse.figures.style import PALETTE


def canvas(width: float, height: float, scale: float = 1.0):
    """A blank figure whose axes run from (0, 0) to (width, height), no ticks or frame."""
    fig, ax = plt.subplots(figsize=(width * scale, height * scale))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def box(ax, center, text, width=2.0, height=1.0, color=PALETTE[0], fill_alpha=0.12, fontsize=11, weight="normal"):
    """A rounded box with centred text; returns its (left, right, bottom, top) edges for arrows."""
    x, y = center
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2), width, height,
        boxstyle="round,pad=0.02,rounding_size=0.15",
        facecolor=color, edgecolor=color, linewidth=1.6,
    )
    patch.set_facecolor((*_rgb(color), fill_alpha))
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, weight=weight, wrap=True)
    return (x - width / 2, x + width / 2, y - height / 2, y + height / 2)


def arrow(ax, start, end, text=None, color="#333333", rad=0.0, text_offset=(0.0, 0.18), fontsize=10, style="-|>"):
    """An arrow from ``start`` to ``end``, optionally curved (``rad``) and labelled at its middle."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=16, color=color,
                                 linewidth=1.6, connectionstyle=f"arc3,rad={rad}"))
    if text:
        mx = (start[0] + end[0]) / 2 + text_offset[0]
        my = (start[1] + end[1]) / 2 + text_offset[1]
        ax.text(mx, my, text, ha="center", va="bottom", fontsize=fontsize, color=color)


def _rgb(color: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(color)
