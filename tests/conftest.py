"""Shared test configuration.

Hypothesis runs derandomized (a fixed example sequence), so a CI failure reproduces locally
and no test passes or fails by luck of the draw.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

settings.register_profile(
    "book",
    derandomize=True,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
# `HYPOTHESIS_PROFILE=thorough make unit` explores many more, freshly random, examples.
settings.register_profile(
    "thorough", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "book"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
