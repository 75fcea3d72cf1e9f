"""Schema-driven fuzzing of a service's OpenAPI with schemathesis, against the service served over real HTTP.

`make test` runs a bounded number of examples per operation (tests/test_fuzz.py); `make fuzz` runs each service
for minutes (PROPDESK_FUZZ_SECONDS). The checks: no server error, responses and their headers match their
schemas, every status code and content type is documented, invalid input is refused.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

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


@contextlib.contextmanager
def served(app, port: int) -> Iterator[str]:
    """`app` on 127.0.0.1:`port` (uvicorn, its own thread and event loop, the app's lifespan run) until the
    block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the service on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


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
