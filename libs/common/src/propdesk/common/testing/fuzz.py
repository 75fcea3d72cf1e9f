"""Schema-driven fuzzing of a service's OpenAPI with schemathesis, against the service served over real HTTP.

`make test` runs a bounded number of examples per operation (tests/test_fuzz.py); `make fuzz` runs each service
for minutes (PROPDESK_FUZZ_SECONDS). The checks: no server error, responses and their headers match their
schemas, every status code and content type is documented, invalid input is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from propdesk.common.testing.helpers import served  # noqa: F401  (re-exported)

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)


def run(
    url: str,
    token: str,
    report: Path,
    *,
    max_examples: int | None = None,
    max_time: int | None = None,
    seed: int | None = None,
) -> subprocess.CompletedProcess:
    """schemathesis against `url`/openapi.json as the holder of `token`; the JUnit report goes to `report`."""
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "run",
        f"{url}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {token}",
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--output-truncate",
        "true",
        "--no-color",
    ]
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    if max_time is not None:
        command += ["--max-time", str(max_time)]
    if seed is not None:
        command += ["--seed", str(seed)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=(max_time or 600) + 300)
