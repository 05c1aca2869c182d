"""JUnit XML for CI test panes: pack problems (one test per file) and pack test cases (one test per case).

Output is deterministic (no timestamps or host names) so it can be compared with golden files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from compliance.errors import Problem

__all__ = ["JUnitCase", "junit_cases", "junit_problems"]

Status = Literal["PASS", "FAIL", "ERROR", "SKIPPED"]


@dataclass(frozen=True, slots=True)
class JUnitCase:
    suite: str
    classname: str
    name: str
    status: Status
    message: str = ""
    details: str = ""
    file: str = ""
    line: int = 0


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_cases(cases: Sequence[JUnitCase], *, name: str) -> str:
    """``<testsuites>`` with one ``<testsuite>`` per suite name, in order of first appearance."""
    root = ET.Element("testsuites", name=name)
    suites: dict[str, list[JUnitCase]] = {}
    for case in cases:
        suites.setdefault(case.suite, []).append(case)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite_name, members in suites.items():
        counts = {
            "tests": len(members),
            "failures": sum(c.status == "FAIL" for c in members),
            "errors": sum(c.status == "ERROR" for c in members),
            "skipped": sum(c.status == "SKIPPED" for c in members),
        }
        for key, value in counts.items():
            totals[key] += value
        suite = ET.SubElement(root, "testsuite", {"name": suite_name, **{k: str(v) for k, v in counts.items()}})
        for c in members:
            attrs = {"classname": c.classname, "name": c.name}
            if c.file:
                attrs["file"] = c.file
            if c.line:
                attrs["line"] = str(c.line)
            element = ET.SubElement(suite, "testcase", attrs)
            tag = {"FAIL": "failure", "ERROR": "error", "SKIPPED": "skipped"}.get(c.status)
            if tag:
                child = ET.SubElement(element, tag, message=c.message)
                if c.details:
                    child.text = c.details
    for key, value in totals.items():
        root.set(key, str(value))
    return _xml(root)


def junit_problems(problems: Iterable[Problem], files: Iterable[str], *, strict: bool = False) -> str:
    """One test per checked file: it fails with its errors (and its warnings under ``--strict``)."""
    by_file: dict[str, list[Problem]] = {f: [] for f in sorted(set(files))}
    for p in sorted(problems):
        by_file.setdefault(p.location.file, []).append(p)
    cases = []
    for file, found in sorted(by_file.items()):
        failing = [p for p in found if p.level == "error" or strict]
        details = "\n".join(p.render() for p in found)
        status: Status = "FAIL" if failing else "PASS"
        message = f"{len(failing)} problem(s)" if failing else ""
        cases.append(JUnitCase("compliance validate", "validate", file, status, message, details, file))
    return junit_cases(cases, name="compliance validate")
