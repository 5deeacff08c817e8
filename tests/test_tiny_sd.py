"""The tiny Stable Diffusion pipeline: builds offline, runs, saves and reloads to the same images;
classifier-free guidance doubles the U-Net's batch; the U-Net's cost follows the positions."""

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from aicourse.models.tiny_sd import (  # noqa: E402
    byte_level_characters, component_table, record_calls, save_tiny_pipeline, tiny_pipeline, tiny_tokenizer, unet_flops,
)


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


def test_guidance_doubles_the_unet_batch_and_only_the_vae_decoder_runs(pipe):
    kwargs = dict(num_inference_steps=2, height=64, width=64, output_type="np")
    with record_calls(pipe) as guided:
        pipe("a fox", guidance_scale=7.5, generator=torch.Generator().manual_seed(0), **kwargs)
    with record_calls(pipe) as plain:
        pipe("a fox", guidance_scale=1.0, generator=torch.Generator().manual_seed(0), **kwargs)
    assert set(guided["unet_batch"]) == {2} and set(plain["unet_batch"]) == {1}
    assert len(guided["unet_batch"]) == len(plain["unet_batch"])
    assert guided["text_encoder"] == 2 and plain["text_encoder"] == 1   # the empty prompt is encoded too
    assert guided["vae_encoder"] == 0 and guided["vae_decoder"] == 1
    with record_calls(pipe) as after:
        pass
    assert after["unet_batch"] == []                                      # the hooks were removed


def test_unet_convolution_flops_grow_with_the_number_of_positions(pipe):
    small, large = unet_flops(pipe.unet, 8), unet_flops(pipe.unet, 16)
    assert large["convolution"] == 4 * small["convolution"]
    assert large["attention"] > 4 * small["attention"]                  # self-attention is quadratic
    assert small["total"] > small["convolution"] + small["attention"] > 0
