"""Lecture 08 in miniature: pretrain once without labels, then adapt cheaply with a few labels.

A foundation model is trained on broad data with self-supervision, then adapted to many
downstream tasks. Here the "broad data" are the unlabelled digit images and the
self-supervised task is masked reconstruction: hide some pixels at random and rebuild the
whole image (the answer comes from the data itself, as in "predict the hidden word").
Adapting means training only a small linear head on top of the frozen encoder
(a *linear probe*) with a handful of labelled examples per class.
"""

from __future__ import annotations

import copy
import time
from typing import Callable

import torch
from torch import nn

from aicourse.models.autoencoder import Autoencoder
from aicourse.training import count_parameters, fit_classifier


def few_per_class(y: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices of ``per_class`` examples of every class in ``y``, chosen by a seeded shuffle.

    Raises ``ValueError`` when some class has fewer than ``per_class`` examples.
    """
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in torch.unique(y).tolist():
        where = torch.nonzero(y == c).flatten()
        if len(where) < per_class:
            raise ValueError(f"class {c} has {len(where)} examples, fewer than {per_class}")
        chosen.append(where[torch.randperm(len(where), generator=generator)[:per_class]])
    return torch.cat(chosen)


def hide_pixels(x: torch.Tensor, fraction: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A copy of ``x`` with about ``fraction`` of its values set to 0, chosen independently at random."""
    keep = torch.rand(x.shape, generator=generator) >= fraction
    return x * keep


def fit_masked_autoencoder(
    model: Autoencoder,
    x_train: torch.Tensor,
    x_val: torch.Tensor,
    epochs: int,
    fraction: float = 0.5,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
    on_epoch: Callable[[int, list[float], list[float]], None] | None = None,
) -> tuple[list[float], list[float]]:
    """Self-supervised pretraining: rebuild each whole image from a copy with pixels hidden.

    The target is the unmasked image, so no labels are used. Returns the mean training and
    validation errors per epoch; the validation images are masked the same way every epoch.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    val_masked = hide_pixels(x_val, fraction, torch.Generator().manual_seed(seed + 1))
    train_loss, val_loss = [], []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = x_train[order[start : start + batch_size]]
            rebuilt = model(hide_pixels(batch, fraction, generator))
            loss = nn.functional.mse_loss(rebuilt, batch)  # the target is the image before hiding
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        train_loss.append(total / len(x_train))
        model.eval()
        with torch.no_grad():
            val_loss.append(nn.functional.mse_loss(model(val_masked), x_val).item())
        if on_epoch:
            on_epoch(epoch, train_loss, val_loss)
    return train_loss, val_loss


def linear_probe(encoder: nn.Module, n_features: int, n_classes: int = 10) -> nn.Sequential:
    """A frozen copy of ``encoder`` followed by a new trainable ``Linear(n_features, n_classes)``.

    The original ``encoder`` is left untouched, so one pretrained model can be adapted many times.
    """
    frozen = copy.deepcopy(encoder)
    for p in frozen.parameters():
        p.requires_grad_(False)
    return nn.Sequential(frozen, nn.Linear(n_features, n_classes))


def adapt_on_few(
    make_model: Callable[[], nn.Module],
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    per_class: int,
    seed: int,
    epochs: int = 100,
    lr: float = 3e-3,
) -> dict:
    """Train a new ``make_model()`` on ``per_class`` labelled examples of every class; measure it on held-out data.

    ``data`` is ``(x_train, y_train, x_val, y_val)``; the examples are picked from the training
    part with ``few_per_class(y_train, per_class, seed)`` and the model is built after
    ``torch.manual_seed(seed)``, so one seed gives one run. Returns the final held-out
    accuracy, the training time in seconds and the number of trainable parameters.
    """
    x_train, y_train, x_val, y_val = data
    idx = few_per_class(y_train, per_class, seed)
    torch.manual_seed(seed)
    model = make_model()
    start = time.perf_counter()
    history = fit_classifier(model, (x_train[idx], y_train[idx], x_val, y_val), epochs=epochs, lr=lr,
                             optimizer="adam", seed=seed)
    return {"accuracy": history.val_accuracy[-1], "seconds": time.perf_counter() - start,
            "trainable": count_parameters(model)}
