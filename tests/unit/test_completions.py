"""Shell completion: the committed scripts are current, and the installed `ogcli` answers a
completion request through its real entry point (ogcli.main.run)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_completions", ROOT / "scripts" / "gen_completions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ogcli() -> list[str]:
    script = Path(sys.executable).with_name("ogcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ogcli"]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_ogcli(), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False
    )


def test_committed_completion_scripts_are_current():
    stale = _generator().stale(ROOT / "completions")
    assert stale == [], f"stale: {stale}; run `make completions` (python scripts/gen_completions.py)"


def test_check_mode_names_stale_files(tmp_path):
    tmp_path = tmp_path / "out"
    generator = _generator()
    assert generator.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ogcli.bash", "ogcli.fish", "ogcli.zsh"]
    assert generator.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "ogcli.zsh").write_text("# edited by hand\n")
    (tmp_path / "ogcli.fish").unlink()
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_completions.py"), "--check", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert "ogcli.zsh" in result.stderr and "ogcli.fish" in result.stderr and "ogcli.bash" not in result.stderr
    assert (tmp_path / "ogcli.zsh").read_text() == "# edited by hand\n"  # --check writes nothing


def test_zsh_script_keeps_compdef_on_its_first_line():
    assert (ROOT / "completions" / "ogcli.zsh").read_text().startswith("#compdef ogcli\n")


@pytest.mark.parametrize(
    "words, cword, expected",
    [
        ("ogcli dev", "1", {"devnet"}),
        ("ogcli con", "1", {"config"}),
        ("ogcli config profile ", "3", {"list", "add", "use", "remove"}),
        ("ogcli config set a", "3", {"account", "active_profile"}),
    ],
)
def test_bash_completion_request_end_to_end(words, cword, expected):
    # Typer's bash protocol: the words in COMP_WORDS, the cursor's word index in COMP_CWORD.
    result = _run([], _OGCLI_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=cword)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) >= expected


def test_zsh_completion_request_end_to_end():
    result = _run([], _OGCLI_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="ogcli dev")
    assert result.returncode == 0, result.stderr
    assert "devnet" in result.stdout


def test_profile_names_complete_from_the_config(tmp_path):
    config_home = Path(os.environ["XDG_CONFIG_HOME"])
    (config_home / "ogcli").mkdir(parents=True)
    (config_home / "ogcli" / "config.toml").write_text(
        '[profiles.base-sepolia]\nrpc_url = "https://sepolia.base.org"\nchain_id = 84532\n'
    )
    result = _run([], _OGCLI_COMPLETE="complete_bash", COMP_WORDS="ogcli config profile use ba", COMP_CWORD="4")
    assert result.stdout.split() == ["base-sepolia"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_committed_bash_script_completes_in_bash():
    # Sources the committed file in a real bash and presses <TAB> through its completion function.
    script = (
        f"source {ROOT / 'completions' / 'ogcli.bash'}; COMP_WORDS=(ogcli dev); COMP_CWORD=1; "
        '_ogcli_completion ogcli; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    if len(_ogcli()) > 1:
        pytest.skip("no ogcli console script next to this interpreter")
    path = f"{Path(_ogcli()[0]).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script], env={**os.environ, "PATH": path},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.stdout.split() == ["devnet"], result.stderr


def _in_bash(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """`ogcli ARGS` typed in bash, as a user does: typer finds the shell among ogcli's parent
    processes (a run with no shell above it, such as a daemonised test run, has none to find).
    The `; exit` keeps bash from replacing itself with ogcli."""
    import shlex

    command = " ".join(shlex.quote(part) for part in [*_ogcli(), *args])
    return subprocess.run(["bash", "--norc", "--noprofile", "-c", f"{command}; exit $?"],
                          env={**os.environ, "SHELL": "/bin/bash", **env}, capture_output=True, text=True, timeout=60,
                          check=False)


def test_show_completion_prints_the_script():
    result = _in_bash(["--show-completion", "bash"])
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F _ogcli_completion ogcli" in result.stdout
    assert "_OGCLI_COMPLETE=complete_bash" in result.stdout


def test_install_completion_is_offered():
    result = _run(["--help"])
    assert result.returncode == 0
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


def test_install_completion_writes_into_home(tmp_path):
    home = tmp_path / "home"
    result = _in_bash(["--install-completion", "bash"], HOME=str(home))
    assert result.returncode == 0, result.stderr
    installed = home / ".bash_completions" / "ogcli.sh"
    assert "_OGCLI_COMPLETE=complete_bash" in installed.read_text()
    assert f"source '{installed}'" in (home / ".bashrc").read_text()
