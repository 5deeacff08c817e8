"""Units of the small U-Net (aicourse.models.unet): shapes, the traced feature maps, a short denoising run."""

import torch

from aicourse.data import digits
from aicourse.models.unet import UNet, pad_digits, trace_shapes, train_denoiser


def test_output_has_the_input_size():
    model = UNet(in_channels=1, out_channels=3, channels=(4, 8, 16))
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 3, 16, 16)


def test_traced_shapes_halve_down_and_double_up():
    records = trace_shapes(UNet(channels=(4, 8, 16)), torch.zeros(1, 1, 16, 16))
    pools = [shape for kind, _, shape in records if kind == "pool"]
    ups = [shape for kind, _, shape in records if kind == "up"]
    assert pools == [(4, 8, 8), (8, 4, 4)]
    assert ups == [(8, 8, 8), (4, 16, 16)]
    assert records[0] == ("input", "input", (1, 16, 16)) and records[-1][2] == (1, 16, 16)


def test_trace_removes_its_hooks():
    model = UNet(channels=(4, 8))
    trace_shapes(model, torch.zeros(1, 1, 8, 8))
    assert all(not m._forward_hooks for m in model.modules())


def test_skip_connection_carries_the_encoder_map():
    # The first decoder convolution sees twice the channels of its level: the copy plus the up-convolution.
    model = UNet(channels=(4, 8, 16))
    assert model.up_conv[-1][0].in_channels == 2 * 4


def test_short_training_denoises_better_than_the_noisy_input():
    x, _, xv, _ = digits(seed=0)
    torch.manual_seed(0)
    model = UNet(channels=(4, 8, 16))
    images, val = pad_digits(x), pad_digits(xv)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions: one thread is much faster than two
    try:
        losses = train_denoiser(model, images, steps=60, batch_size=32)
    finally:
        torch.set_num_threads(threads)
    assert losses[-1] < losses[0]
    noisy = val + 0.5 * torch.randn(val.shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert ((model(noisy) - val) ** 2).mean() < ((noisy - val) ** 2).mean()


def test_the_no_skip_exercise_keeps_the_layers_but_not_the_copies():
    # Lecture 11's notebook exercise (also run by the experiment): same parameters, encoder maps unused.
    from aicourse.experiments.unet import NoSkipUNet
    from aicourse.training import count_parameters

    torch.manual_seed(0)
    with_skips, without = UNet(channels=(4, 8, 16)), NoSkipUNet(channels=(4, 8, 16))
    without.load_state_dict(with_skips.state_dict())  # the very same weights
    assert count_parameters(without) == count_parameters(with_skips)
    x = torch.rand(2, 1, 16, 16)
    assert without(x).shape == x.shape
    with torch.no_grad():
        assert not torch.allclose(without(x), with_skips(x))  # the copies made a difference
