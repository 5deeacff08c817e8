"""Unit tests for aicourse.models.foundation: few labels per class, masked pretraining, linear probes."""

import pytest
import torch

from aicourse.models.autoencoder import Autoencoder, mean_image_error
from aicourse.models.foundation import few_per_class, fit_masked_autoencoder, hide_pixels, linear_probe
from aicourse.training import count_parameters, fit_classifier


def test_few_per_class_takes_exactly_that_many_of_every_class():
    y = torch.tensor([0] * 7 + [1] * 5 + [2] * 9)
    idx = few_per_class(y, 3, seed=0)
    assert len(idx) == len(set(idx.tolist())) == 9
    assert torch.bincount(y[idx]).tolist() == [3, 3, 3]
    assert torch.equal(idx, few_per_class(y, 3, seed=0))  # seeded: the same pick every time
    assert any(not torch.equal(idx, few_per_class(y, 3, seed=s)) for s in range(1, 6))
    with pytest.raises(ValueError, match="class 1"):
        few_per_class(y, 6)


def test_hide_pixels_zeroes_about_that_fraction_and_nothing_else():
    x = torch.rand(200, 64) + 0.1  # no zeros to begin with
    hidden = hide_pixels(x, 0.3, torch.Generator().manual_seed(0))
    zero = hidden == 0
    assert 0.25 < zero.float().mean().item() < 0.35
    assert torch.equal(hidden[~zero], x[~zero])
    assert torch.equal(hide_pixels(x, 0.0), x)


def test_masked_pretraining_learns_to_fill_in_hidden_pixels():
    from aicourse.data import digits

    x_train, _, x_val, _ = digits(seed=0)
    torch.manual_seed(0)
    model = Autoencoder([64, 32, 16])
    train, val = fit_masked_autoencoder(model, x_train, x_val, epochs=8, fraction=0.5)
    assert len(train) == len(val) == 8
    assert val[-1] < val[0]
    assert val[-1] < mean_image_error(x_train, x_val)  # better than answering the average digit


def test_linear_probe_trains_only_its_head_and_leaves_the_encoder_alone():
    torch.manual_seed(0)
    encoder = Autoencoder([6, 8, 4]).encoder
    before = [p.detach().clone() for p in encoder.parameters()]
    probe = linear_probe(encoder, 4, n_classes=3)
    assert count_parameters(probe) == 4 * 3 + 3
    x = torch.randn(90, 6)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    h = fit_classifier(probe, (x, y, x, y), epochs=20, lr=0.01, optimizer="adam")
    assert h.train_loss[-1] < h.train_loss[0]
    assert all(torch.equal(a, b) for a, b in zip(before, probe[0].parameters()))  # frozen copy
    assert all(p.requires_grad for p in encoder.parameters())  # the original stays trainable


def test_adapt_on_few_is_one_seeded_run_on_few_labels():
    from aicourse.data import digits
    from aicourse.models.foundation import adapt_on_few
    from aicourse.training import mlp

    data = digits(seed=0)
    make = lambda: mlp([64, 16, 10])  # noqa: E731
    a = adapt_on_few(make, data, 2, seed=3, epochs=5)
    b = adapt_on_few(make, data, 2, seed=3, epochs=5)
    assert a["accuracy"] == b["accuracy"]  # same seed: same examples, same initial values, same result
    assert a["trainable"] == 64 * 16 + 16 + 16 * 10 + 10
    assert 0.0 <= a["accuracy"] <= 1.0 and a["seconds"] > 0
    probe = adapt_on_few(lambda: linear_probe(Autoencoder([64, 32, 16]).encoder, 16), data, 2, seed=3, epochs=5)
    assert probe["trainable"] == 16 * 10 + 10  # only the head of a linear probe is trained
