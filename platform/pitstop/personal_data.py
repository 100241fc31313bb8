"""Finding personal data in free text: the one set of detectors the whole platform uses.

Staff type phones, ID numbers and e-mails into notes, tags and reasons; integrations log
request bodies. The same patterns therefore serve three purposes: log lines are redacted
(:mod:`pitstop.logs`), an event payload that carries personal data is refused
(:mod:`pitstop.events.outbox`), and free text in a response is masked in place for a reader
who sees the class masked (:mod:`pitstop.access.masking`). One set, so a pattern added for
one purpose protects all three.

Each finding is tagged with its PII class (the values of ``pitstop.access.pii.PIIClass``)
so that masking can use the class's structured format. The module sits in the kernel and
imports nothing of the platform: logging must not depend on the domain.

Patterns are tuned towards catching too much rather than too little: a false positive
costs a few masked characters, a miss leaks a person. Ids are never personal data, so
UUIDs are skipped (``…-d179-7684-9662-…`` would otherwise read as a mobile).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTER = "A-HJ-NP-Za-hj-np-z"  # plates never use I or O
_VIN_CHAR = "A-HJ-NPR-Za-hj-npr-z0-9"  # VINs never use I, O or Q
_ALNUM_BEFORE, _ALNUM_AFTER = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"

DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # e-mail: an ASCII local part first, so "请联系zhang@qq.com" keeps its Chinese words;
    # then any word characters (a local part typed in Chinese is still an address)
    # (each anchored at the start of its run, so a long run without "@" costs linear time)
    (
        "email",
        re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    ),
    ("email", re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")),
    # PRC resident ID number: 17 digits and a check character
    ("id_number", re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")),
    # CN mobile, with or without +86 and separators
    ("phone", re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")),
    # any E.164 number
    ("phone", re.compile(r"(?<!\d)\+\d{8,15}(?!\d)")),
    # CN landline with its area code: 021-12345678
    ("phone", re.compile(r"(?<![\d-])0\d{2,3}-\d{7,8}(?![\d-])")),
    # GB plates: new-energy (8 characters) before ordinary (7), an optional separator
    (
        "plate",
        re.compile(
            rf"[{PROVINCES}][{_PLATE_LETTER}][ ·•.-]?"
            rf"(?:[DFdf][{_PLATE_LETTER}0-9]\d{{4}}|\d{{5}}[DFdf])"
            rf"{_ALNUM_AFTER}"
        ),
    ),
    (
        "plate",
        re.compile(
            rf"[{PROVINCES}][{_PLATE_LETTER}][ ·•.-]?"
            rf"[{_PLATE_LETTER}0-9]{{4}}[{_PLATE_LETTER}0-9挂学警港澳]{_ALNUM_AFTER}"
        ),
    ),
    # VIN: 17 characters of its alphabet with at least one letter and one digit
    (
        "vin",
        re.compile(
            rf"{_ALNUM_BEFORE}(?=[{_VIN_CHAR}]{{0,16}}[0-9])(?=[{_VIN_CHAR}]{{0,16}}[A-Za-z])"
            rf"[{_VIN_CHAR}]{{17}}{_ALNUM_AFTER}"
        ),
    ),
)

_CANDIDATE = re.compile(r"[0-9@]")
"""Every detector needs a digit or an at sign: most text is passed over at this cost."""
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    pii_class: str
    text: str


def find(text: str) -> list[Finding]:
    """Non-overlapping findings in text order; earlier detectors win an overlap."""
    if not _CANDIDATE.search(text):
        return []
    # UUIDs are blanked out (same length, so offsets hold) and read as separators
    scan = _UUID.sub(lambda m: "\0" * len(m.group()), text)
    taken: list[tuple[int, int]] = []
    findings: list[Finding] = []
    for pii_class, pattern in DETECTORS:
        for match in pattern.finditer(scan):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            findings.append(Finding(start, end, pii_class, text[start:end]))
    return sorted(findings, key=lambda f: f.start)


def substitute(text: str, replacement: Callable[[Finding], str]) -> str:
    """``text`` with every finding replaced by what ``replacement`` makes of it."""
    findings = find(text)
    if not findings:
        return text
    parts, last = [], 0
    for finding in findings:
        parts += [text[last : finding.start], replacement(finding)]
        last = finding.end
    parts.append(text[last:])
    return "".join(parts)


def redact(text: str) -> str:
    """For log lines: every finding becomes ``[redacted]``, whatever its class."""
    return substitute(text, lambda _: "[redacted]")


def map_strings(value: Any, change: Callable[[str], Any]) -> Any:
    """A JSON-like value with ``change`` applied to every string in it, at any depth."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, Mapping):
        return {key: map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [map_strings(item, change) for item in value]
    return value
