"""A plain training loop, written out so a student can read every step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn


@dataclass
class History:
    """Loss per epoch on the training and validation sets (and accuracy, when measured)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    @property
    def best_epoch(self) -> int:
        """1-based epoch with the lowest validation loss."""
        return min(range(len(self.val_loss)), key=self.val_loss.__getitem__) + 1


def mlp(sizes: list[int]) -> nn.Sequential:
    """A multilayer perceptron: Linear layers with ReLU between them, e.g. ``mlp([64, 32, 10])``."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@torch.no_grad()
def memory_bytes(parameters: int, bytes_per_parameter: float) -> float:
    """Bytes just to hold the weights: parameters × bytes per parameter (activations come on top)."""
    return parameters * bytes_per_parameter


def evaluate(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``(x, y)``."""
    model.eval()
    out = model(x)
    return loss_fn(out, y).item(), (out.argmax(dim=1) == y).float().mean().item()


def fit_classifier(
    model: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    epochs: int,
    lr: float = 0.1,
    batch_size: int = 64,
    seed: int = 0,
    on_epoch: Callable[[int, History], None] | None = None,
    optimizer: str = "sgd",
) -> History:
    """Train with mini-batch stochastic gradient descent and cross-entropy loss.

    Only parameters with ``requires_grad`` are updated (frozen ones are left alone);
    ``optimizer`` is ``"sgd"`` (with momentum) or ``"adam"``.

    Each step: compute the output, compare it with the target (the loss), take
    the gradient of the loss with respect to every parameter, and move each
    parameter a little against its gradient.
    """
    x_train, y_train, x_val, y_val = data
    loss_fn = nn.CrossEntropyLoss()
    trainable = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "sgd":
        step = torch.optim.SGD(trainable, lr=lr, momentum=0.9)
    elif optimizer == "adam":
        step = torch.optim.Adam(trainable, lr=lr)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', not {optimizer!r}")
    generator = torch.Generator().manual_seed(seed)
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(model(x_train[idx]), y_train[idx])  # compare output with target
            step.zero_grad()
            loss.backward()  # gradient of the loss for every parameter
            step.step()  # adjust parameters to shrink the loss
            total += loss.item() * len(idx)
        history.train_loss.append(total / len(x_train))
        val_loss, val_acc = evaluate(model, loss_fn, x_val, y_val)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_acc)
        if on_epoch:
            on_epoch(epoch, history)
    return history


def draws_in_chunks(steps: int, chunk: int, draw: Callable[[], tuple], device="cpu"):
    """A training loop's random numbers, drawn ahead a chunk of steps at a time.

    ``draw()`` returns one step's tensors, taken from a CPU generator in the order the loop would
    take them one step at a time, so the numbers are the same on any device and for any ``chunk``.
    Yields ``(n, tensors)``: the chunk's step count and each of ``draw``'s tensors stacked over
    those steps, sent to ``device`` in one copy each. A GPU loop that also keeps its losses on the
    device until the chunk ends then waits for the device once per chunk, not a few times per step.
    """
    done = 0
    while done < steps:
        n = min(chunk, steps - done)
        per_step = [draw() for _ in range(n)]
        yield n, tuple(torch.stack(parts).to(device) for parts in zip(*per_step))
        done += n
