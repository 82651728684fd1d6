"""OperationOutcome: the FHIR server's one error shape, raised as FhirError and rendered once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: HTTP status -> OperationOutcome issue code (FHIR R4 IssueType value set).
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    500: "exception",
}


@dataclass(frozen=True)
class Issue:
    message: str
    expression: str | None = None
    code: str | None = None
    severity: str = "error"

    def as_fhir(self, status: int) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code or ISSUE_CODES.get(status, "processing"),
            "diagnostics": self.message,
        }
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class FhirError(Exception):
    """Answer with ``status`` and an OperationOutcome listing every issue found."""

    def __init__(self, status: int, issues: list[Issue] | str) -> None:
        self.status = status
        self.issues = [Issue(issues)] if isinstance(issues, str) else issues
        super().__init__("; ".join(i.message for i in self.issues))


def operation_outcome(status: int, issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_fhir(status) for i in issues]}


def information(message: str) -> dict[str, Any]:
    return operation_outcome(200, [Issue(message, code="informational", severity="information")])
