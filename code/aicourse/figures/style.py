"""One look for every figure, and the settings that make the files reproducible."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import matplotlib_fontja  # noqa: F401  (registers IPAexGothic for Japanese labels)

# Colours that stay distinguishable for colour-blind readers (Okabe & Ito, 2008).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

RC = {
    "font.family": ["IPAexGothic"],
    "svg.hashsalt": "aicourse",  # fixed ids inside SVGs: same inputs, same bytes
    "svg.fonttype": "path",  # glyphs as paths: no font is fetched by the reader's browser
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
    "font.size": 11,
    "axes.unicode_minus": False,
}
plt.rcParams.update(RC)
