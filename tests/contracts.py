"""schemathesis against a real server's OpenAPI: every operation, valid and invalid
requests generated from the schema, and what came back counted.

Examples per operation and mode: ``WATCHKEEPER_FUZZ`` is ``ci`` by default (a fixed,
small set, so the suite stays fast and repeatable), ``long`` (many fresh ones) or a
number, as for the upload fuzzer::

    WATCHKEEPER_FUZZ=long pytest -s tests/ui/test_ui_contract.py tests/serve/test_serve_contract.py
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from fuzzing import fuzz_settings


@dataclass
class ContractRun:
    """What one run against one API found."""

    operations: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> str:
        return (
            f"{len(self.operations)} operations, {self.requests} requests, "
            f"{len(self.server_errors)} responses >= 500; statuses {dict(sorted(self.statuses.items()))}"  # noqa: E501
        )


def run_contract(base_url: str, headers: dict[str, str] | None = None) -> ContractRun:
    """Call every operation of the API at ``base_url`` with requests generated from its
    ``/openapi.json``, valid ones and invalid ones; count the answers by status."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", headers=headers or {})
    found = ContractRun()
    examples = fuzz_settings(
        ci=12, long=150, database=None, suppress_health_check=list(HealthCheck)
    )
    for result in schema.get_all_operations():
        operation = result.ok()
        found.operations.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @examples
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case) -> None:
                response = case.call(base_url=base_url, headers=headers, timeout=60)
                found.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    found.server_errors.append(
                        f"{case.method} {case.formatted_path} {case.query or ''}: "
                        f"{response.status_code} {response.text[:300]}"
                    )

            # an operation without parameters has nothing that can be sent wrong
            with contextlib.suppress(Unsatisfiable):
                call()
    return found
