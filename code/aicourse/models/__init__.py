"""The models students read, one module per model family, each readable top to bottom.

autoencoder (03, 08), adapting: LoRA and int8 quantization (06), foundation: masked
pretraining and a linear probe (08), tiny_sd: a randomly initialised Stable Diffusion (09),
clip (10), unet (11), score_sde (12), vae (07, 13), ddpm (14).
"""
