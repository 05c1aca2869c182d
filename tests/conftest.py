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


@pytest.fixture(autouse=True, scope="session")
def _packs_read_once() -> Iterator[None]:
    """Most CLI tests load the same pack folders: read each (unchanged) folder once per test session.

    The cache is keyed by every file's path, size and modification time under the roots, so a test that writes
    or edits a pack gets a fresh load; the loaded result is frozen, so sharing it changes no decision.
    """
    import compliance.packs.load as load

    original = load.collect_packs
    cache: dict[tuple[object, ...], load.Collected] = {}

    def fingerprint(roots: tuple[str, ...]) -> tuple[object, ...]:
        parts: list[object] = []
        for root in roots:
            base = Path(root).resolve()
            files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
            for p in files:
                st = p.stat()
                parts.append((str(p), st.st_size, st.st_mtime_ns))
        return tuple(parts)

    def collect(roots: object) -> load.Collected:
        key_roots = tuple(str(r) for r in roots)  # type: ignore[attr-defined]
        if not all(Path(r).exists() for r in key_roots):
            return original(roots)  # type: ignore[arg-type]
        key = fingerprint(key_roots)
        if key not in cache:
            cache[key] = original(roots)  # type: ignore[arg-type]
        return cache[key]

    load.collect_packs = collect  # type: ignore[assignment]
    try:
        yield
    finally:
        load.collect_packs = original  # type: ignore[assignment]
