"""Unit tests of the autoencoder lecture's model code (seconds on CPU)."""

from __future__ import annotations

import torch

from aicourse.models.autoencoder import (
    Autoencoder, fit_autoencoder, layer_sizes, mean_image_error, pca_reconstruction_error, reconstruction_error,
)


def _data(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    # Images on a 2-D plane inside the 64-pixel space, squashed into [0, 1]: learnable with a 2-number code.
    basis = torch.rand(2, 64, generator=g)
    codes = torch.rand(n, 2, generator=g)
    return torch.sigmoid(codes @ basis * 3 - 2)


def test_shapes_and_mirrored_layers():
    model = Autoencoder([64, 16, 3])
    x = torch.rand(5, 64)
    assert model.encode(x).shape == (5, 3)
    assert model(x).shape == (5, 64)
    sizes = layer_sizes(model)
    assert sizes == sizes[::-1] and sizes[len(sizes) // 2] == 3
    out = model(x)
    assert out.min() >= 0 and out.max() <= 1  # decoder ends in a sigmoid


def test_training_lowers_reconstruction_error():
    x = _data()
    torch.manual_seed(0)
    model = Autoencoder([64, 32, 2])
    before = reconstruction_error(model, x)
    train_loss, val_loss = fit_autoencoder(model, x[:150], x[150:], epochs=30, lr=0.01, batch_size=32)
    assert val_loss[-1] < 0.5 * before
    assert train_loss[-1] < train_loss[0]


def test_pca_baseline_matches_closed_form():
    x = _data(300)
    x_train, x_val = x[:250], x[250:]
    # Keeping all 64 components rebuilds exactly; keeping none is the mean image.
    assert pca_reconstruction_error(x_train, x_val, 64) < 1e-8
    assert abs(pca_reconstruction_error(x_train, x_val, 0) - mean_image_error(x_train, x_val)) < 1e-7
    errors = [pca_reconstruction_error(x_train, x_train, k) for k in (1, 2, 4, 8)]
    assert all(a >= b for a, b in zip(errors, errors[1:]))  # more components, never worse on training data
