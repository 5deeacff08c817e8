"""Unit tests for aicourse.models.adapting: LoRA layers and int8 quantization."""

import torch
from torch import nn

from aicourse.models.adapting import (LoRALinear, add_lora, dequantize_int8, fit_trainable, quantize_int8,
                                      quantize_symmetric, quantized_copy, remove_lora, weight_bytes)
from aicourse.training import count_parameters, mlp


def test_lora_starts_equal_to_base_and_counts_adapter_parameters():
    torch.manual_seed(0)
    base = nn.Linear(12, 7)
    layer = LoRALinear(base, r=3, alpha=6)
    x = torch.randn(5, 12)
    assert torch.allclose(layer(x), base(x))  # B = 0 at the start
    assert count_parameters(layer) == 3 * (12 + 7)
    assert not base.weight.requires_grad


def test_lora_update_has_low_rank_and_merges_exactly():
    torch.manual_seed(0)
    layer = LoRALinear(nn.Linear(10, 8), r=2, alpha=4)
    with torch.no_grad():
        layer.B.normal_()
    assert torch.linalg.matrix_rank(layer.delta_weight()).item() <= 2
    x = torch.randn(4, 10)
    assert torch.allclose(layer.merged()(x), layer(x), atol=1e-5)


def test_lora_training_changes_only_adapters_and_lowers_loss():
    torch.manual_seed(0)
    model = mlp([6, 16, 3])
    frozen = [p.detach().clone() for p in model.parameters()]
    lora = add_lora(model, r=2, alpha=4)
    x = torch.randn(120, 6)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    h = fit_trainable(lora, (x, y, x, y), epochs=15, lr=0.02)
    assert h.train_loss[-1] < h.train_loss[0]
    base_params = [m.base for m in lora if isinstance(m, LoRALinear)]
    now = [p for layer in base_params for p in layer.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(frozen, now))


def test_quantization_error_is_at_most_half_a_step():
    torch.manual_seed(0)
    w = torch.randn(20, 30) * torch.linspace(0.01, 2, 20)[:, None]
    for per_channel in (False, True):
        q, s = quantize_int8(w, per_channel)
        assert q.dtype == torch.int8 and q.abs().max().item() == 127
        err = (w - dequantize_int8(q, s)).abs()
        assert torch.all(err <= s / 2 + 1e-6)
    # rows of very different size: per-channel scales give a smaller mean error
    e_t = (w - dequantize_int8(*quantize_int8(w, False))).abs().mean()
    e_c = (w - dequantize_int8(*quantize_int8(w, True))).abs().mean()
    assert e_c < e_t


def test_weight_bytes_and_quantized_copy():
    model = mlp([8, 5, 3])
    n = 8 * 5 + 5 * 3
    assert weight_bytes(model) == 4 * n
    assert weight_bytes(model, per_channel=False) == n + 4 * 2
    assert weight_bytes(model, per_channel=True) == n + 4 * (5 + 3)
    qm = quantized_copy(model)
    assert not torch.equal(qm[0].weight, model[0].weight)
    assert torch.allclose(qm[0].weight, model[0].weight, atol=model[0].weight.abs().max().item() / 254 + 1e-7)


def test_four_bit_uses_levels_minus_7_to_7_and_has_a_larger_error():
    torch.manual_seed(0)
    w = torch.randn(16, 24)
    q4, s4 = quantize_symmetric(w, bits=4)
    assert q4.abs().max().item() == 7 and torch.equal(*[quantize_symmetric(w, 8)[0], quantize_int8(w)[0]])
    err4 = (w - dequantize_int8(q4, s4)).abs()
    err8 = (w - dequantize_int8(*quantize_int8(w))).abs()
    assert torch.all(err4 <= s4 / 2 + 1e-6)
    assert err4.mean() > 5 * err8.mean()
    model = mlp([8, 5, 3])
    assert not torch.equal(quantized_copy(model, bits=4)[0].weight, quantized_copy(model)[0].weight)


def test_remove_lora_gives_back_the_base_model():
    torch.manual_seed(0)
    model = mlp([6, 10, 3])
    lora = add_lora(model, r=2, alpha=4)
    with torch.no_grad():
        for m in lora:
            if isinstance(m, LoRALinear):
                m.B.normal_()
    x = torch.randn(5, 6)
    assert not torch.allclose(lora(x), model(x))
    assert torch.equal(remove_lora(lora)(x), model(x))


def test_a_comparison_is_worded_by_the_sign_of_the_run_s_difference():
    from aicourse.i18n import by_sign

    words = dict(above=("{d} 高い", "{d} higher"), below=("{d} 低い", "{d} lower"), same=("同じ", "the same"))
    assert by_sign(2.5, **words) == ("2.5 高い", "2.5 higher")
    assert by_sign(-0.5, **words) == ("0.5 低い", "0.5 lower")
    assert by_sign(0.0, **words) == ("同じ", "the same")
