"""report.json's published JSON Schema (formcheck/schema/report.schema.json) and a validator for it.

    from formcheck.schema import validate_report
    validate_report(json.load(open("report.json")))   # raises ReportSchemaError with the first problem

Needs the jsonschema package (in formcheck's `test` extra). The test suite sets FORMCHECK_VALIDATE_REPORTS=1,
which makes every report.json that formcheck writes be validated first (formcheck.io.report_files).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

VALIDATE_ENV = "FORMCHECK_VALIDATE_REPORTS"


class ReportSchemaError(ValueError):
    """A report that does not match report.schema.json (one line: where, and what is wrong)."""


@lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    return json.loads((files("formcheck.schema") / "report.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(report_schema())
    return Draft202012Validator(report_schema())


def report_errors(report: dict[str, Any]) -> list[str]:
    """Every mismatch, as 'path: message' lines (empty when the report is valid)."""
    errors = sorted(_validator().iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))
    return ["/".join(map(str, e.absolute_path)) + f": {e.message}" for e in errors]


def validate_report(report: dict[str, Any]) -> None:
    errors = report_errors(report)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ReportSchemaError(f"report.json does not match report.schema.json at {errors[0]}{more}")
