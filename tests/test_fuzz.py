"""Schema-driven fuzzing of every service (schemathesis, real HTTP): no server error, responses that match
their schemas, every status code and content type documented, invalid input refused.

`make test` runs a bounded number of examples per operation; `make fuzz` runs PROPDESK_FUZZ_SECONDS (300) per
service. The caller is a platform admin, so the walls do not stop the fuzzer before the code it aims at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from propdesk.common.embedded import free_port
from propdesk.common.services import definitions
from propdesk.common.testing import fuzz
from propdesk.common.testing.helpers import token
from propdesk.common.web import create_service_app

SECONDS = int(os.environ.get("PROPDESK_FUZZ_SECONDS", "0"))  # 0: the bounded run of `make test`
EXAMPLES = int(os.environ.get("PROPDESK_FUZZ_EXAMPLES", "4"))


@pytest.mark.parametrize("name", [d.name for d in definitions()])
def test_fuzz(platform_env, name: str, tmp_path: Path):
    d = next(x for x in definitions() if x.name == name)
    port = free_port()
    # no rate limit: the fuzzer is one caller sending hundreds of requests a second
    settings = platform_env.settings(d, port=port, rate_limit_per_token="", rate_limit_per_address="")
    bearer = token("admin", all_estates=True)["Authorization"].split(" ", 1)[1]
    report = Path(os.environ.get("PROPDESK_FUZZ_REPORTS", tmp_path)) / f"{name}.xml"
    report.parent.mkdir(parents=True, exist_ok=True)
    with fuzz.served(create_service_app(d, settings), port) as url:
        if SECONDS:
            result = fuzz.run(url, bearer, report, max_time=SECONDS)
        else:
            result = fuzz.run(url, bearer, report, max_examples=EXAMPLES, seed=20261203)
    summary = result.stdout[result.stdout.find("FAILURES") - 40 :] if "FAILURES" in result.stdout else ""
    assert result.returncode == 0, (summary or result.stdout[-4000:]) + result.stderr[-2000:]
    assert "generated" in result.stdout  # schemathesis really ran cases
