"""Every command in README.md runs as written, in order, against a fresh devnet and node, from a
fresh home: the README and the product stay one thing.

The test does what `make run` does (the README's first command): `ogcli devnet up` on :8545 and
the reference node on :8700, the ports the README names. Then it runs each command of the
README's ```sh blocks with bash, from a scratch directory holding `.venv` (so both `ogcli` and
`.venv/bin/ogcli` work), as a person at a terminal would answer: OGCLI_YES=1 for the
confirmations and OGCLI_PASSWORD for the wallet password. A command fails the test on a non-zero
exit or a traceback; lines marked `# fails:` must fail, with one line; lines marked
`# not run by the README test: ...` are skipped, each with its visible reason
(tests/e2e/readme_commands.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.readme_commands import looks_like_a_synopsis, readme_commands

pytestmark = [pytest.mark.chain, pytest.mark.slow, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PORTS = (8545, 8700)  # the devnet's and the node's, as the README gives them
PASSWORD = "readme-test-password"
COMMAND_TIMEOUT_S = 240


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_readme_has_commands_and_no_synopsis_in_its_shell_blocks():
    commands = readme_commands(README)
    assert len([c for c in commands if c.run]) >= 60
    synopses = [f"README.md:{c.line}: {c.text}" for c in commands if c.run and looks_like_a_synopsis(c.text)]
    assert synopses == [], "a usage line belongs in a ```text block; ```sh holds commands:\n" + "\n".join(synopses)


@pytest.fixture
def user(tmp_path):
    """A fresh home and a scratch directory, with the environment a person's shell would have."""
    for port in PORTS:
        if _port_taken(port):
            pytest.fail(f"port {port} is taken: the README test runs the README's commands on the README's ports")
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OGCLI_", "XDG_")) and key not in ("HOME", "VIRTUAL_ENV")}
    env.update(HOME=str(home), PATH=f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{env.get('PATH', '')}",
               OGCLI_YES="1", OGCLI_PASSWORD=PASSWORD, NO_COLOR="1", COLUMNS="160")
    return work, env


def _run(text: str, work: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", text], cwd=work, env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)


def test_every_readme_command_runs_as_written(user):
    work, env = user
    up = _run("ogcli devnet up", work, env)
    assert up.returncode == 0, up.stderr[-2000:]
    node_log = (work / "node.log").open("w")
    node = subprocess.Popen(["ogcli", "node", "run", "--dev-keys", "--role", "all", "--port", "8700"], cwd=work, env=env,
                            stdout=node_log, stderr=subprocess.STDOUT, start_new_session=True)
    failures: list[str] = []
    ran = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert node.poll() is None, (work / "node.log").read_text()[-2000:]
            try:
                if httpx.get("http://127.0.0.1:8700/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        for command in readme_commands(README):
            if not command.run:
                print(f"README.md:{command.line}: not run: {command.text}")
                continue
            started = time.monotonic()
            result = _run(command.text, work, env)
            ran += 1
            took = time.monotonic() - started
            print(f"README.md:{command.line}: exit {result.returncode} in {took:.1f}s: {command.text}")
            traceback = "Traceback (most recent call last)" in result.stderr + result.stdout
            if command.must_fail:
                lines = result.stderr.strip().splitlines()
                if result.returncode == 0 or traceback or len(lines) != 1:
                    failures.append(f"README.md:{command.line}: meant to fail with one line, got exit "
                                    f"{result.returncode}: {command.text}\n{result.stderr[-1500:]}")
            elif result.returncode != 0 or traceback:
                failures.append(f"README.md:{command.line}: exit {result.returncode}: {command.text}\n"
                                f"{(result.stderr or result.stdout)[-1500:]}")
    finally:
        os.killpg(node.pid, signal.SIGTERM)
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
        node_log.close()
        _run("ogcli devnet down", work, env)
    assert failures == [], f"{len(failures)} of {ran} README commands failed:\n\n" + "\n\n".join(failures)
