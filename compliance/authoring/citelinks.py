"""Citation links in pack files: find primary citations without a url that one can be built for, and add it.

``compliance validate`` warns on each (``citation-url``); ``scripts/fill_citation_urls.py`` writes them into the
YAML in place, as the pack author would by hand: ``url: "..."`` beside ``cite:`` (inside a flow mapping
``{cite: ..., url: ...}``; a block mapping of ``cite`` alone becomes one on the same line; otherwise as a line of
the block mapping), every other byte of the file unchanged. The links
are :func:`compliance.citations.citation_url`'s (eCFR current text, federalregister.gov), or for forms no link
can be built for (a MOFCOM announcement), the url another primary citation of the same instrument carries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from compliance.citations import citation_url
from compliance.source import Document, PathKey, load_document

__all__ = ["MissingUrl", "add_urls", "known_urls", "missing_urls"]


@dataclass(frozen=True, slots=True)
class MissingUrl:
    at: PathKey  # path of the citation mapping in the document
    cite: str
    url: str
    built: bool  # built from the form (else: another citation's url of the same instrument)


def _citations(value: object, at: PathKey) -> Iterator[tuple[PathKey, dict[str, object]]]:
    if isinstance(value, dict):
        for key, sub in value.items():
            if key in ("citations", "sources") and isinstance(sub, list):
                for i, cite in enumerate(sub):
                    if isinstance(cite, dict) and isinstance(cite.get("cite"), str):
                        yield (*at, key, i), cite
            else:
                yield from _citations(sub, (*at, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _citations(sub, (*at, i))


def known_urls(docs: list[Document]) -> dict[str, str]:
    """cite -> url of the first primary citation giving one (an instrument's page, reused for its other cites)."""
    out: dict[str, str] = {}
    for doc in docs:
        for _at, c in _citations(doc.data, ()):
            url = c.get("url")
            if isinstance(url, str) and url.strip() and c.get("secondary") is not True:
                out.setdefault(str(c["cite"]).strip(), url.strip())
    return out


def missing_urls(doc: Document, known: Mapping[str, str] | None = None) -> list[MissingUrl]:
    """Primary citations without a url for which one can be built (or is known from another citation)."""
    out: list[MissingUrl] = []
    for at, c in _citations(doc.data, ()):
        url = c.get("url")
        if (isinstance(url, str) and url.strip()) or c.get("secondary") is True:
            continue
        cite = str(c["cite"]).strip()
        built = citation_url(cite)
        if built is not None:
            out.append(MissingUrl(at, cite, built, True))
        elif known and cite in known:
            out.append(MissingUrl(at, cite, known[cite], False))
    return out


def _flow_end(text: str, start: int) -> int | None:
    """Offset of the `}` closing the flow mapping whose content starts at ``start`` (quotes respected)."""
    depth, quote, i = 0, "", start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "{[":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                return i if ch == "}" else None
            depth -= 1
        i += 1
    return None


def _rest_of_line(text: str, starts: list[int], line: int, offset: int) -> str:
    end = starts[line] if line < len(starts) else len(text)
    return text[offset:end]


def _only_cite(doc: Document, at: PathKey) -> bool:
    value: object = doc.data
    for key in at:
        value = value[key]  # type: ignore[index]
    return isinstance(value, dict) and list(value) == ["cite"]


def add_urls(path: str | Path, known: Mapping[str, str] | None = None) -> int:
    """Write the missing urls into the file at ``path``; the number added."""
    p = Path(path)
    doc = load_document(p)
    todo = missing_urls(doc, known)
    if not todo:
        return 0
    text = p.read_text(encoding="utf-8")
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, str]] = []
    for m in todo:
        loc = doc.locate((*m.at, "cite"), key=True)
        offset = starts[loc.line - 1] + loc.col - 1
        before = text[starts[loc.line - 1] : offset].rstrip()
        quoted = m.url.replace("\\", "\\\\").replace('"', '\\"')
        if before.endswith("{") or before.endswith(","):
            end = _flow_end(text, offset)
            if end is None:
                raise ValueError(f"{p}:{loc.line}:{loc.col}: cannot find the end of the citation's flow mapping")
            edits.append((end, f', url: "{quoted}"'))
        elif (
            before.endswith("-") and _only_cite(doc, m.at) and "#" not in _rest_of_line(text, starts, loc.line, offset)
        ):
            # `- cite: X` alone: the same line as a flow mapping, so no line below moves.
            line_end = starts[loc.line] if loc.line < len(starts) else len(text)
            body = text[offset:line_end].rstrip("\r\n")
            value = body.rstrip()
            edits.append((offset, "{"))
            edits.append((offset + len(value), f', url: "{quoted}"}}'))
        else:
            line_end = starts[loc.line] if loc.line < len(starts) else len(text)
            value_line = text[offset:line_end]
            if value_line.rstrip().endswith((">", "|", ">-", "|-")):
                raise ValueError(f"{p}:{loc.line}:{loc.col}: a multi-line `cite:` cannot take a url here")
            newline = "" if text[line_end - 1 : line_end] == "\n" else "\n"
            edits.append((line_end, f'{newline}{" " * (loc.col - 1)}url: "{quoted}"\n'))
    for at, insert in sorted(edits, reverse=True):
        text = text[:at] + insert + text[at:]
    p.write_text(text, encoding="utf-8")
    return len(todo)
