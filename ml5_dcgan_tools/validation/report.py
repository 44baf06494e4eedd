"""The report of one bundle: findings grouped into stages, plus the numbers that were measured.

Check ids are ``<stage>.<name>``. The JSON form is described by
``schemas/validate-report.schema.json``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import __version__
from ..findings import Finding, Report

STAGES = ("source", "safety", "manifest", "model", "weights", "contract", "numbers")
"""In the order they run; ``safety`` findings come from every step that touches files."""

_SHOWN = 5
StageStatus = Literal["pass", "warn", "fail", "skip"]


@dataclass
class BundleReport(Report):
    """A :class:`Report` that also knows its stages and what was measured (``metrics``)."""

    metrics: dict[str, Any] = field(default_factory=dict)

    def skip(self, stage: str, reason: str) -> None:
        """Record that ``stage`` did not run, and why: skipped checks are reported, not lost."""
        self.add(f"{stage}.skipped", "info", f"{stage} checks skipped: {reason}")

    def failed(self, *stages: str) -> bool:
        """Whether any of ``stages`` has a failure."""
        return any(finding.severity == "fail" and _stage(finding) in stages
                   for finding in self.findings)

    def stage_statuses(self, strict: bool = False) -> dict[str, StageStatus]:
        statuses: dict[str, StageStatus] = {}
        for stage in STAGES:
            own = [finding for finding in self.findings if _stage(finding) == stage]
            severities = {finding.severity for finding in own}
            if "fail" in severities or (strict and "warn" in severities):
                statuses[stage] = "fail"
            elif "warn" in severities:
                statuses[stage] = "warn"
            elif any(finding.check == f"{stage}.skipped" for finding in own):
                statuses[stage] = "skip"
            else:
                statuses[stage] = "pass"
        return statuses

    def as_dict(self, strict: bool = False) -> dict[str, Any]:
        return {"tool": "ml5-dcgan validate", "version": __version__, "strict": strict,
                **super().as_dict(strict), "stages": self.stage_statuses(strict),
                "metrics": _json_safe(self.metrics)}


def scoped(findings: Iterable[Finding], stage: str) -> list[Finding]:
    """Findings of the shared JSON and manifest checkers, renamed into ``stage``.

    ``json.too-large`` is a size cap and becomes ``safety.too-large``; other ``json.*`` and
    ``schema.*`` ids become ``<stage>.<name>`` and ``<stage>.schema-<keyword>``.
    """
    renamed = []
    for finding in findings:
        group, _, name = finding.check.partition(".")
        if finding.check == "json.too-large":
            check = "safety.too-large"
        elif group == "json":
            check = f"{stage}.{name}"
        elif group == "schema":
            check = f"{stage}.schema-{name}"
        else:
            check = finding.check
        renamed.append(dataclasses.replace(finding, check=check))
    return renamed


def listed(items: Iterable[str], *, quoted: bool = True, separator: str = ", ") -> str:
    """Names for a message: a few, then how many more."""
    items = list(items)
    shown = separator.join(repr(item) if quoted else item for item in items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _stage(finding: Finding) -> str:
    return finding.check.partition(".")[0]


def _json_safe(value: Any) -> Any:
    """Metrics as strict JSON: a non-finite float (an infinite error) becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value
