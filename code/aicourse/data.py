"""Datasets that ship inside installed packages, so nothing is downloaded."""

from __future__ import annotations

import numpy as np
import torch


def digits(seed: int = 0, val_fraction: float = 0.2):
    """scikit-learn's 1,797 handwritten digits (8×8, integer grey levels 0–16), split in two.

    Returns ``(x_train, y_train, x_val, y_val)`` as tensors; pixels scaled to [0, 1].
    The split is a seeded random permutation (not stratified), so it is the same on every machine.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.data, dtype=torch.float32) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.long)
    rng = np.random.default_rng(seed)
    order = torch.from_numpy(rng.permutation(len(x)))
    n_val = int(round(len(x) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]
