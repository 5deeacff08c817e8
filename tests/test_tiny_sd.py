"""The tiny Stable Diffusion pipeline: builds offline, runs, saves and reloads to the same images."""

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from aicourse.models.tiny_sd import byte_level_characters, component_table, save_tiny_pipeline, tiny_pipeline, tiny_tokenizer  # noqa: E402


def test_byte_level_characters_are_256_distinct():
    chars = byte_level_characters()
    assert len(chars) == 256 == len(set(chars))


def test_tokenizer_encodes_any_text_within_clip_context():
    tok = tiny_tokenizer()
    ids = tok("a fox, 狐!").input_ids
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert tok.unk_token_id not in ids[1:-1]
    assert tok.model_max_length == 77


@pytest.fixture(scope="module")
def pipe():
    p = tiny_pipeline(seed=0)
    p.set_progress_bar_config(disable=True)
    return p


def test_components_are_the_stable_diffusion_parts(pipe):
    names = {name: cls for name, cls, _ in component_table(pipe)}
    assert names["unet"] == "UNet2DConditionModel" and names["vae"] == "AutoencoderKL"
    assert names["text_encoder"] == "CLIPTextModel" and "tokenizer" in names and "scheduler" in names
    assert pipe.vae_scale_factor == 8


def test_call_gives_latents_eight_times_smaller(pipe):
    shapes = []

    def record(p, i, t, kw):
        shapes.append(tuple(kw["latents"].shape))
        return kw

    image = pipe("a fox", num_inference_steps=2, height=64, width=64, output_type="np",
                 generator=torch.Generator().manual_seed(0), callback_on_step_end=record).images
    assert image.shape == (1, 64, 64, 3)
    assert shapes[0] == (1, 4, 8, 8)


def test_save_and_reload_offline_give_the_same_image(pipe, tmp_path):
    from diffusers import StableDiffusionPipeline

    folder = save_tiny_pipeline(tmp_path / "tiny")
    loaded = StableDiffusionPipeline.from_pretrained(folder)
    loaded.set_progress_bar_config(disable=True)
    kwargs = dict(num_inference_steps=2, height=64, width=64, output_type="np")
    a = pipe("a fox", generator=torch.Generator().manual_seed(1), **kwargs).images
    b = loaded("a fox", generator=torch.Generator().manual_seed(1), **kwargs).images
    assert abs(a - b).max() < 1e-5
