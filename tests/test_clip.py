"""Units of the tiny CLIP (aicourse.models.clip): loss, encoders, a short training run."""

import math

import torch

from aicourse.models import clip
from aicourse.data import digits


def test_clip_loss_is_log_n_for_uniform_logits_and_small_for_a_clear_diagonal():
    n = 16
    assert math.isclose(clip.clip_loss(torch.zeros(n, n)).item(), math.log(n), rel_tol=1e-6)
    assert clip.clip_loss(20 * torch.eye(n)).item() < 1e-3


def test_clip_loss_is_symmetric_in_images_and_texts():
    logits = torch.randn(8, 8, generator=torch.Generator().manual_seed(0))
    assert math.isclose(clip.clip_loss(logits).item(), clip.clip_loss(logits.T).item(), rel_tol=1e-6)


def test_tokenizer_pads_and_marks_unknown_characters():
    tok = clip.CharTokenizer(["ab", "b"])
    ids = tok(["ab", "bz"])
    assert ids.shape == (2, 2)
    assert ids[1, 1].item() == 1 and ids[0, 0].item() >= 2
    assert tok(["a", "abab"])[0, 1:].eq(0).all()


def test_embeddings_have_unit_length():
    tok = clip.CharTokenizer(["a handwritten 3"])
    model = clip.TinyCLIP(len(tok), dim=8, hidden=16)
    u = model.encode_image(torch.rand(5, 64))
    v = model.encode_text(tok(["a handwritten 3", "a 3"]))
    assert u.shape == (5, 8) and v.shape == (2, 8)
    assert torch.allclose(u.norm(dim=1), torch.ones(5), atol=1e-5)
    assert torch.allclose(v.norm(dim=1), torch.ones(2), atol=1e-5)


def test_short_training_lowers_the_loss_and_beats_chance_zero_shot():
    x, y, xv, yv = digits(seed=0)
    model, tok, losses = clip.train(x, y, steps=150, batch_size=64)
    assert sum(losses[-10:]) / 10 < losses[0] - 1.0
    acc = (clip.zero_shot_classify(model, tok, xv, "a picture of a {w}") == yv).float().mean().item()
    assert acc > 0.3


def test_unknown_characters_are_those_no_training_caption_has():
    tok = clip.CharTokenizer([clip.caption(c, t) for c in range(10) for t in clip.TRAIN_TEMPLATES])
    assert clip.unknown_characters(tok, "a photo of the digit {w}") == []
    assert clip.unknown_characters(tok, "{d}!") == ["!"]
    assert all(set(clip.unknown_characters(tok, t)) <= set(t) for t in clip.TRY_TEMPLATES)
