"""The packs a worker serves, and their hot reload: build the new set completely, then swap one reference.

A request takes the current :class:`Loaded` once (``acquire``) and uses it to the end, so it never sees half of
one pack set and half of another. A reload loads and compiles the new packs aside, off the event loop, while the
old set keeps answering; only a set that loaded without a problem replaces it. A pack error keeps the old set
and is returned to the caller (``POST /v1/reload``) or logged (SIGHUP). The old engine is closed when the last
request that holds it lets go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from compliance.errors import PackError, Problem
from compliance.evaluate.engine import Engine
from compliance.io.render import packs_listing
from compliance.packs.load import load_packs
from compliance.packs.packset import PackSet
from compliance.server.metrics import PackInfo

__all__ = ["Loaded", "PackState", "ReloadResult"]


@dataclass(slots=True, eq=False)
class Loaded:
    """One complete pack set and its engine; shared by the requests that started while it was current."""

    engine: Engine
    packset: PackSet
    listing: dict[str, object]
    loaded_at: float
    generation: int
    users: int = 0
    retired: bool = False
    closed: bool = False

    @property
    def packs(self) -> tuple[PackInfo, ...]:
        return tuple(PackInfo(p.meta.id, p.meta.version, p.sha256) for p in self.packset.packs)


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    loaded: Loaded
    problems: tuple[Problem, ...] = field(default=())


class PackState:
    """The current pack set of one worker process, swapped atomically on reload."""

    def __init__(
        self,
        roots: Sequence[str],
        *,
        backend: str = "durable",
        origin: dict[str, object] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.roots = tuple(roots)
        self.backend = backend
        self.origin = origin or {"bundled": False, "roots": list(self.roots)}
        self._clock = clock
        self._lock = threading.Lock()  # guards users/retired counts and the swap
        self._reload_lock = threading.Lock()  # one reload at a time
        self._generation = 0
        self._current = self._load()  # a pack error at start-up is raised: there is no old set to keep

    def _load(self) -> Loaded:
        packset = load_packs(self.roots)
        engine = Engine(packset, backend=self.backend)
        self._generation += 1
        listing = {**packs_listing(packset), "origin": self.origin}
        return Loaded(engine, packset, listing, self._clock(), self._generation)

    @property
    def current(self) -> Loaded:
        return self._current

    @contextmanager
    def acquire(self) -> Iterator[Loaded]:
        """The current pack set, held (not closed by a reload) until the block ends."""
        with self._lock:
            loaded = self._current
            loaded.users += 1
        try:
            yield loaded
        finally:
            with self._lock:
                loaded.users -= 1
                close = loaded.retired and loaded.users == 0 and not loaded.closed
                if close:
                    loaded.closed = True
            if close:
                loaded.engine.close()

    def reload(self) -> ReloadResult:
        """Load the packs again; swap them in only if they loaded cleanly. Blocking: call it off the event loop."""
        with self._reload_lock:
            try:
                fresh = self._load()
            except PackError as err:
                return ReloadResult(False, self._current, err.problems)
            with self._lock:
                old, self._current = self._current, fresh
                old.retired = True
                close = old.users == 0 and not old.closed
                if close:
                    old.closed = True
            if close:
                old.engine.close()
            return ReloadResult(True, fresh)

    def close(self) -> None:
        with self._lock:
            loaded = self._current
            loaded.retired = True
            close = loaded.users == 0 and not loaded.closed
            if close:
                loaded.closed = True
        if close:
            loaded.engine.close()
