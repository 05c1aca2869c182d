from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from compliance import Engine

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"

# Deterministic by default (the same examples on every run, locally and in CI); HYPOTHESIS_PROFILE=random
# explores new ones. Large example counts belong to tests marked `slow`.
settings.register_profile(
    "deterministic", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("random", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture(scope="session", params=["durable", "reference"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The bundled packs on each backend: every end-to-end test runs on both."""
    with Engine.from_directory(RULES, backend=request.param) as eng:
        yield eng


@pytest.fixture(scope="session")
def durable_engine() -> Iterator[Engine]:
    with Engine.from_directory(RULES, backend="durable") as eng:
        yield eng
