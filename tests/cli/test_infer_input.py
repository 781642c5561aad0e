"""`infer run --input` is checked before anything is opened or paid: bad JSON, including JSON
nested deep enough to overflow the parser (a traceback before), gets one line and exit 2."""

from __future__ import annotations

import pytest

from tests.cli_results import refused


@pytest.mark.parametrize("text, needle", [
    ("[" * 100_000 + "]" * 100_000, "100000 deep"),
    ('{"features": [[0.1, 0.2]', "not JSON"),
    ("42", "JSON object"),
], ids=["nested-100000-deep", "truncated", "a-number"])
def test_bad_input_gets_one_line(cli, tmp_path, text, needle):
    path = tmp_path / "input.json"
    path.write_text(text)
    refused(cli("infer", "run", "--model", "2", "--input", f"@{path}"), needle)
