"""Writing figures so that the same inputs give the same bytes."""

from __future__ import annotations

from pathlib import Path

from aicourse.figures import style  # noqa: F401  (applies the course style before any drawing)


def save_figure(fig, path: Path, dpi: int = 150) -> None:
    import matplotlib.pyplot as plt

    fmt = path.suffix.lstrip(".")
    # No dates or software versions: they would change the bytes from one run to the next.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None} if fmt == "png" else {}
    fig.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
    plt.close(fig)


def save_gif(frames: list, path: Path, duration_ms: int) -> None:
    """A looping GIF from PIL images, palette-quantised to stay small."""
    if not frames:
        raise ValueError(f"{path.name}: an animation needs at least one frame")
    first, *rest = [f.convert("P", palette=1, colors=128) if f.mode != "P" else f for f in frames]
    first.save(path, save_all=True, append_images=rest, duration=duration_ms, loop=0, optimize=True)
