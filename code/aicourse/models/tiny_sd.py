"""A Stable Diffusion pipeline from tiny, randomly initialised parts: nothing is downloaded.

The parts are the real diffusers / transformers classes of Stable Diffusion (text
encoder, tokenizer, U-Net, VAE, scheduler), made from small configs so the whole
pipeline has about a million parameters and runs on a CPU in a fraction of a second.
Its images are noise (no weights were trained); it exists so that the code path of
the lecture's notebook (``StableDiffusionPipeline.from_pretrained(folder_or_hub_id)``)
and the pipeline figure run without a model hub.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import torch

def byte_level_characters() -> list[str]:
    """The 256 printable characters GPT-2 and CLIP use to stand for the 256 byte values."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes, extra = [], 0
    for b in range(256):
        if b in printable:
            codes.append(b)
        else:                      # bytes that are not printable are moved above 255
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def tiny_tokenizer():
    """A CLIP tokenizer that works without downloaded vocabulary files.

    ``CLIPTokenizer()`` with no files knows only two tokens. Instead give it the 256
    byte-level characters (each also with the end-of-word mark ``</w>``), the two special
    tokens and no merges, so every text tokenizes character by character. Without
    ``model_max_length=77`` (CLIP's context length) the pipeline overflows. The vocabulary
    goes through the usual files (``vocab.json``, ``merges.txt``) because that is the one
    way transformers 4 and 5 both accept (Colab may have either).
    """
    from transformers import CLIPTokenizer

    chars = byte_level_characters()
    vocab = {c: i for i, c in enumerate(chars)}
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        Path(folder, "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
        return CLIPTokenizer.from_pretrained(folder, model_max_length=77)


def tiny_pipeline(seed: int = 0):
    """A ``StableDiffusionPipeline`` with tiny random components (same classes as the real model)."""
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    # Text encoder: a 2-layer CLIP text transformer; its width is the U-Net's cross-attention size.
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    ))
    # U-Net: works on 4-channel latents; cross-attention blocks read the text encoder's output.
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_head_dim=4, norm_num_groups=8,
    )
    # VAE: four blocks, so images are 8 times larger than latents, as in the real model.
    vae = AutoencoderKL(
        block_out_channels=(8, 8, 16, 16), in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        norm_num_groups=4, sample_size=64,
    )
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              skip_prk_steps=True, steps_offset=1)
    return StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


def save_tiny_pipeline(folder: str | os.PathLike | None = None) -> str:
    """Save the tiny pipeline to ``folder`` (once) and return the folder, for ``from_pretrained``.

    The default folder is in the system's temporary directory, so nothing lands in the repository.
    """
    folder = Path(folder) if folder else Path(tempfile.gettempdir()) / "aicourse-tiny-sd"
    if not (folder / "model_index.json").exists():
        tiny_pipeline().save_pretrained(folder)
    return str(folder)


def component_table(pipe) -> list[tuple[str, str, int]]:
    """``(name, class name, parameter count)`` for every part of ``pipe.components`` that is set."""
    rows = []
    for name, part in pipe.components.items():
        if part is None:
            continue
        params = sum(p.numel() for p in part.parameters()) if isinstance(part, torch.nn.Module) else 0
        rows.append((name, type(part).__name__, params))
    return rows


@contextmanager
def record_calls(pipe):
    """Record what runs during a pipeline call: the batch size of every U-Net call, and how often
    the text encoder and the VAE's encoder and decoder run (forward hooks, removed afterwards).

    With ``guidance_scale > 1`` each denoising round evaluates the U-Net once on a doubled batch:
    the latents twice, with the unconditional (empty or negative) prompt and with the prompt.
    """
    calls = {"unet_batch": [], "text_encoder": 0, "vae_encoder": 0, "vae_decoder": 0}

    def count(key):
        def hook(module, args, output):
            calls[key] += 1
        return hook

    hooks = [
        pipe.unet.register_forward_hook(lambda module, args, output: calls["unet_batch"].append(args[0].shape[0])),
        pipe.text_encoder.register_forward_hook(count("text_encoder")),
        pipe.vae.encoder.register_forward_hook(count("vae_encoder")),
        pipe.vae.decoder.register_forward_hook(count("vae_decoder")),
    ]
    try:
        yield calls
    finally:
        for h in hooks:
            h.remove()


def unet_flops(unet, size: int, text_length: int = 77) -> dict[str, int]:
    """Floating-point operations of one U-Net call on one ``size``×``size`` input, by kind.

    Counted by ``torch.utils.flop_counter`` on a copy whose attention is the plain
    matrix-product version (so the attention scores are counted too). Returns the total,
    the convolutions' share and the attention scores' share (``bmm``/``baddbmm``).
    """
    from diffusers.models.attention_processor import AttnProcessor
    from torch.utils.flop_counter import FlopCounterMode

    unet = copy.deepcopy(unet)
    unet.set_attn_processor(AttnProcessor())
    x = torch.zeros(1, unet.config.in_channels, size, size)
    text = torch.zeros(1, text_length, unet.config.cross_attention_dim)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        unet(x, 10, encoder_hidden_states=text)
    counts = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    return {
        "total": counter.get_total_flops(),
        "convolution": sum(n for op, n in counts.items() if "convolution" in op),
        "attention": sum(n for op, n in counts.items() if op.endswith("bmm")),
    }
