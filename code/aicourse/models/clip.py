"""A tiny CLIP: an image encoder and a text encoder trained so matching pairs agree.

Read top to bottom: captions made from digit labels, a character-level tokenizer,
the two encoders, the symmetric contrastive (InfoNCE) loss with a learnable
temperature, a training loop, and zero-shot classification from class prompts.
The idea is that of Radford et al., "Learning Transferable Visual Models From
Natural Language Supervision" (arXiv:2103.00020), shrunk to 8×8 digits.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# --- captions -----------------------------------------------------------------
# Each digit gets a word in English and in Japanese; a template turns it into a caption.
EN_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
JA_WORDS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]

# Templates used for training. {w}: English word, {d}: numeral, {k}: kanji numeral.
TRAIN_TEMPLATES = [
    "a photo of the digit {w}",
    "a handwritten {d}",
    "the number {w}",
    "数字の{d}の画像",
    "手書きの「{k}」",
]
# Prompt templates for zero-shot classification; the last two never appear in training.
ZERO_SHOT_TEMPLATES = [
    "a photo of the digit {w}",
    "a picture of a {w}",
    "{k}と書いた数字",
]
# Templates for the notebook's "Try it" (the page quotes their accuracies from the build's run).
TRY_TEMPLATES = [
    "my favourite number is {w}",
    "{d}",
    "これは{k}です",
    "a blurry {w}!",
]


def caption(label: int, template: str) -> str:
    """The caption for digit ``label`` in ``template``."""
    return template.format(w=EN_WORDS[label], d=str(label), k=JA_WORDS[label])


# --- tokenizer ------------------------------------------------------------------
class CharTokenizer:
    """Characters to integer ids; 0 pads, 1 stands for a character never seen in training."""

    def __init__(self, texts: list[str]):
        chars = sorted({c for text in texts for c in text})
        self.vocab = {c: i + 2 for i, c in enumerate(chars)}

    def __len__(self) -> int:
        return len(self.vocab) + 2

    def __call__(self, texts: list[str]) -> torch.Tensor:
        length = max(len(t) for t in texts)
        ids = torch.zeros(len(texts), length, dtype=torch.long)
        for i, text in enumerate(texts):
            ids[i, : len(text)] = torch.tensor([self.vocab.get(c, 1) for c in text])
        return ids


def unknown_characters(tokenizer: CharTokenizer, template: str) -> list[str]:
    """The characters of ``template``'s ten captions that training never showed (each becomes id 1)."""
    return sorted({ch for c in range(10) for ch in caption(c, template) if ch not in tokenizer.vocab})


# --- the two encoders -----------------------------------------------------------------
class ImageEncoder(nn.Module):
    """8×8 image (64 values) → an embedding: a small multilayer perceptron."""

    def __init__(self, dim: int = 32, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TextEncoder(nn.Module):
    """Character ids → an embedding: character embeddings, a convolution that sees three
    characters at a time (so it can tell "six" from "seven" by their letters), averaged over the text."""

    def __init__(self, vocab_size: int, dim: int = 32, hidden: int = 64):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, hidden, padding_idx=0)
        self.conv = nn.Conv1d(hidden, hidden, kernel_size=3, padding=1)
        self.proj = nn.Sequential(nn.ReLU(), nn.Linear(hidden, dim))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = (ids != 0).unsqueeze(-1).float()           # ignore padding when averaging
        h = torch.relu(self.conv(self.embed(ids).transpose(1, 2))).transpose(1, 2)
        pooled = (h * mask).sum(1) / mask.sum(1)
        return self.proj(pooled)


class TinyCLIP(nn.Module):
    """Both encoders plus the learnable temperature; ``forward`` gives the image × text logits."""

    def __init__(self, vocab_size: int, dim: int = 32, hidden: int = 128):
        super().__init__()
        self.image_encoder = ImageEncoder(dim, hidden)
        self.text_encoder = TextEncoder(vocab_size, dim, hidden // 2)
        # CLIP learns log(1/τ), starting from τ = 0.07.
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_image(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_encoder(x), dim=-1)    # unit length: dot product = cosine

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_encoder(ids), dim=-1)

    def forward(self, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        scale = self.logit_scale.exp().clamp(max=100)        # CLIP caps 1/τ at 100
        return scale * self.encode_image(images) @ self.encode_text(ids).T


def clip_loss(logits: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE: row i should pick column i (image → text) and column i row i (text → image)."""
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


# --- training -------------------------------------------------------------------
def train(x: torch.Tensor, y: torch.Tensor, steps: int = 600, batch_size: int = 128, lr: float = 3e-3,
          dim: int = 32, hidden: int = 128, seed: int = 0, on_step=None):
    """Train a TinyCLIP on images ``x`` and labels ``y``; every step draws fresh captions.

    Returns ``(model, tokenizer, losses)``. The labels are used only to write captions.
    """
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    all_captions = [caption(c, t) for c in range(10) for t in TRAIN_TEMPLATES]
    tokenizer = CharTokenizer(all_captions)
    model = TinyCLIP(len(tokenizer), dim, hidden)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    losses = []
    model.train()
    for step in range(steps):
        idx = torch.randint(len(x), (batch_size,), generator=gen)
        tmpl = torch.randint(len(TRAIN_TEMPLATES), (batch_size,), generator=gen)
        texts = [caption(int(y[i]), TRAIN_TEMPLATES[int(t)]) for i, t in zip(idx, tmpl)]
        loss = clip_loss(model(x[idx], tokenizer(texts)))  # one row and one column per (image, caption) pair
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if on_step:
            on_step(step + 1, steps, loss.item())
    model.eval()
    return model, tokenizer, losses


# --- zero-shot classification ---------------------------------------------------------
@torch.no_grad()
def zero_shot_classify(model: TinyCLIP, tokenizer: CharTokenizer, x: torch.Tensor, template: str) -> torch.Tensor:
    """Predicted digit for each image: the class whose prompt embedding is most similar.

    The ten prompt embeddings act as the weights of a linear classifier that no label trained.
    """
    prompts = tokenizer([caption(c, template) for c in range(10)])
    return (model.encode_image(x) @ model.encode_text(prompts).T).argmax(dim=1)
