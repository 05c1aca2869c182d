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

# CI runs the same examples every time; locally hypothesis explores.
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session", params=["durable", "reference"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The bundled packs on each backend: every end-to-end test runs on both."""
    with Engine.from_directory(RULES, backend=request.param) as eng:
        yield eng


@pytest.fixture(scope="session")
def durable_engine() -> Iterator[Engine]:
    with Engine.from_directory(RULES, backend="durable") as eng:
        yield eng
