"""Which profile a build uses: ``quick`` (CPU, small runs) or ``full`` (GPU, publication quality)."""

from __future__ import annotations

import os
from pathlib import Path

PROFILES = ("quick", "full")
ENV_VAR = "AICOURSE_PROFILE"


def gpu_present() -> bool:
    """Whether an NVIDIA GPU is visible, answered without importing torch (a warm build stays fast)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


def current_profile(explicit: str | None = None) -> str:
    """The profile asked for (argument, then $AICOURSE_PROFILE), else ``full`` on a GPU, ``quick`` otherwise."""
    name = explicit or os.environ.get(ENV_VAR) or ("full" if gpu_present() else "quick")
    if name not in PROFILES:
        raise ValueError(f"${ENV_VAR}={name!r} is not a profile; choose one of {', '.join(PROFILES)}")
    return name
