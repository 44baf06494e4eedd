"""Findings: what every checker (manifest, export, bundle validation) reports.

A finding names a stable ``check`` id, a severity, a message and a hint that says how to fix
it, so a curator can act on it and a machine can match on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["fail", "warn", "info"]
Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    hint: str = ""
    pointer: str = ""  # JSON pointer into the checked document, when there is one

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    """The findings about one target (a file, a bundle) and the verdict they add up to."""

    target: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, check: str, severity: Severity, message: str, hint: str = "",
            pointer: str = "") -> None:
        self.findings.append(Finding(check, severity, message, hint, pointer))

    def status(self, strict: bool = False) -> Status:
        severities = {f.severity for f in self.findings}
        if "fail" in severities or (strict and "warn" in severities):
            return "fail"
        return "warn" if "warn" in severities else "pass"

    def as_dict(self, strict: bool = False) -> dict:
        return {
            "target": self.target,
            "status": self.status(strict),
            "findings": [f.as_dict() for f in self.findings],
        }
