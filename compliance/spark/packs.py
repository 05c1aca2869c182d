"""How the rule packs travel to Spark executors: the bytes of their files and the hashes, never a path.

The driver loads and validates the packs exactly as ``compliance check --rules DIR`` does, then ships the bytes
of every file it read with the sha256 of each file, of each pack and of the whole set (:class:`PackPayload`,
broadcast once per job). An executor never opens the driver's paths, which it may not have (a laptop's
checkout, a Databricks workspace folder): it writes the bytes into a private temporary folder, reads them back
under the driver's file names (so every pack hash and every location is the driver's), and refuses them with a
:class:`PackError` ``pack-hash-mismatch`` unless every hash matches. The engine is then built once per Python
worker process (PySpark reuses a worker for the tasks that follow) and kept, keyed by the pack set's sha256 and
the backend: a later job with the same packs pays nothing.

Nothing here imports Spark: the driver side and the executor side are plain functions, tested without a JVM.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from compliance.errors import InputError, Location, PackError, Problem
from compliance.evaluate.engine import Engine
from compliance.io.clearances import load_clearances, read_clearances
from compliance.packs.assemble import assemble
from compliance.packs.bundled import bundled_rules_dir
from compliance.packs.files import ParsedFile, read_pack_file
from compliance.packs.load import collect_packs
from compliance.packs.packset import PackSet
from compliance.screening.clearances import ClearanceBook

__all__ = [
    "PackFile",
    "PackPayload",
    "Rules",
    "clearances_payload",
    "engine_builds",
    "engine_for",
    "loaded_engines",
    "pack_payload",
    "unpack",
    "unpack_clearances",
]

Rules = str | Path | Sequence[str | Path] | None

# Engines kept per Python worker: a job and its diff need two; a few more cover a notebook trying pack versions.
KEEP = 4


@dataclass(frozen=True, slots=True)
class PackFile:
    """One pack file as the driver read it: its name there (for locations and the pack hash) and its bytes."""

    name: str
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class PackPayload:
    """Everything an executor needs to rebuild the driver's pack set, and the hashes to prove it did."""

    files: tuple[PackFile, ...]
    packs: tuple[tuple[str, str, str], ...]  # (id, version, sha256) of each pack, as the driver loaded them
    sha256: str  # the pack set's (PackSet.sha256)

    @property
    def size(self) -> int:
        return sum(len(f.data) for f in self.files)


def _roots(rules: Rules) -> list[str | Path]:
    if rules is None:
        return [bundled_rules_dir()]  # the packs of this installation, as `compliance check` without --rules
    if isinstance(rules, str | Path):
        return [rules]
    return list(rules)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _identity(packset: PackSet) -> tuple[tuple[str, str, str], ...]:
    return tuple((p.meta.id, p.meta.version, p.sha256) for p in packset.packs)


def pack_payload(rules: Rules = None) -> tuple[PackSet, PackPayload]:
    """Load the packs on the driver (every problem at once, as a :class:`PackError`) and what ships to executors.

    The bytes shipped are the bytes that were validated and hashed (read once), so what an executor loads is
    what the driver checked, or it is refused.
    """
    collected = collect_packs(_roots(rules))
    if collected.errors or collected.packset is None:
        raise PackError(list(collected.problems))
    packset = collected.packset
    files = tuple(PackFile(f.name, f.raw, _sha256(f.raw)) for f in collected.files)
    return packset, PackPayload(files, _identity(packset), packset.sha256)


def _mismatch(where: str, what: str) -> Problem:
    return Problem(
        Location(where),
        "pack-hash-mismatch",
        f"{what}; the executor refuses these packs and decides nothing",
        help="the rule packs changed on their way from the driver: rerun the job; if it persists, check the "
        "executors' installed compliance-engine version against the driver's",
    )


def unpack(payload: PackPayload) -> PackSet:
    """The driver's pack set, rebuilt from the payload's bytes; :class:`PackError` if any hash differs."""
    bad = [
        _mismatch(f.name, "this file's bytes do not match their sha256")
        for f in payload.files
        if _sha256(f.data) != f.sha256
    ]
    if bad:
        raise PackError(bad)
    parsed: list[ParsedFile] = []
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="compliance-packs-") as tmp:
        for i, f in enumerate(payload.files):
            # The file is read back under the driver's name: the pack hashes (over file names and contents, in
            # name order) and any location come out as the driver's. The suffix tells JSON from YAML.
            path = Path(tmp) / f"{i:05d}{Path(f.name).suffix}"
            path.write_bytes(f.data)
            result = read_pack_file(path, f.name)
            problems.extend(result.problems)
            if result.parsed is not None:
                parsed.append(result.parsed)
    packset = assemble(parsed, problems)
    errors = [p for p in problems if p.level == "error"]
    if errors or packset is None:  # the same bytes loaded on the driver: only another engine version gets here
        raise PackError(errors or [_mismatch("rules", "the packs did not load on the executor")])
    if _identity(packset) != payload.packs or packset.sha256 != payload.sha256:
        got = ", ".join(f"{i} {v} ({s[:12]})" for i, v, s in _identity(packset))
        sent = ", ".join(f"{i} {v} ({s[:12]})" for i, v, s in payload.packs)
        raise PackError([_mismatch("rules", f"the packs loaded as {got}, the driver sent {sent}")])
    return packset


def _clearances_from(data: bytes, name: str) -> ClearanceBook:
    """The clearances in ``data`` (the bytes of the file ``name``), read as ``--clearances`` reads the file."""
    with tempfile.TemporaryDirectory(prefix="compliance-clearances-") as tmp:
        path = Path(tmp) / f"clearances{Path(name).suffix}"
        path.write_bytes(data)
        return ClearanceBook(read_clearances(path))


def clearances_payload(path: str | Path) -> PackFile:
    """The clearances file (``--clearances``) as it travels: validated on the driver (an :class:`InputError`
    naming its line and field, as the CLI), then its bytes and their sha256."""
    book = load_clearances(path)
    data = Path(path).read_bytes()
    if _clearances_from(data, str(path)).clearances != book.clearances:  # rewritten between the two reads
        raise InputError([Problem(Location(str(path)), "changed-while-read", "the file changed while it was read")])
    return PackFile(str(path), data, _sha256(data))


def unpack_clearances(shipped: PackFile, sha256: str) -> ClearanceBook:
    """The driver's clearances, rebuilt from their bytes; :class:`PackError` if the hash differs."""
    if _sha256(shipped.data) != shipped.sha256 or shipped.sha256 != sha256:
        raise PackError([_mismatch(shipped.name, "the clearances' bytes do not match their sha256")])
    return _clearances_from(shipped.data, shipped.name)


# One engine per pack set, backend and clearances in this process (a PySpark Python worker), built on first use.
Key = tuple[str, str, str]  # (pack set sha256, backend, clearances sha256 or "")
_ENGINES: OrderedDict[Key, Engine] = OrderedDict()
_BUILDS: Counter[Key] = Counter()  # how often each was built here (once, unless evicted)
_LOCK = threading.Lock()


def engine_for(
    sha256: str,
    backend: str,
    payload: Callable[[], PackPayload],
    clearances: tuple[str, Callable[[], PackFile]] | None = None,
) -> Engine:
    """The engine for the pack set ``sha256`` (and the clearances of that sha256) in this process; ``payload``
    is fetched (a broadcast read) and unpacked only the first time. Anything shipped whose hash is not the one
    asked for is refused."""
    key = (sha256, backend, clearances[0] if clearances else "")
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is not None:
            _ENGINES.move_to_end(key)
            return engine
        shipped = payload()
        if shipped.sha256 != sha256:
            raise PackError([_mismatch("rules", f"the packs shipped are {shipped.sha256[:12]}, not {sha256[:12]}")])
        book = unpack_clearances(clearances[1](), clearances[0]) if clearances else None
        engine = Engine(unpack(shipped), backend=backend, clearances=book)
        _ENGINES[key] = engine
        _BUILDS[key] += 1
        while len(_ENGINES) > KEEP:
            _key, old = _ENGINES.popitem(last=False)
            old.close()
        return engine


def loaded_engines() -> tuple[Key, ...]:
    """(pack set sha256, backend, clearances sha256 or "") of each engine this process holds, oldest first (for tests and diagnostics)."""
    with _LOCK:
        return tuple(_ENGINES)


def engine_builds() -> dict[Key, int]:
    """How many times this process built the engine of each key (as :func:`loaded_engines`): the packs were unpacked
    and verified that many times (for tests and diagnostics: once per worker process is the point)."""
    with _LOCK:
        return dict(_BUILDS)
