"""The layering of DESIGN.md, enforced: a cheap --help, and a core without UI or RPC imports."""

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ogcli"


def test_help_imports_neither_web3_nor_textual():
    probe = (
        "import sys, io, contextlib\n"
        "from ogcli.main import app\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        "        app(args=['--help'], prog_name='ogcli', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('@@' + __import__('json').dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('web3', 'textual', 'eth_account', 'onnx'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    heavy = json.loads(result.stdout.rsplit("@@", 1)[1])
    assert heavy == []


def test_core_imports_no_ui_or_rpc():
    forbidden = {"typer", "textual", "rich", "web3", "click"}
    for path in (PACKAGE / "core").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_devnet_command_defaults_match_the_controller():
    from ogcli.commands import devnet as commands
    from ogcli.devnet import control

    assert commands.DEFAULT_PORT == control.DEFAULT_PORT
    assert commands.DEFAULT_BLOCK_TIME_S == control.DEFAULT_BLOCK_TIME_S


def test_lazy_subcommands_match_their_modules():
    """`ogcli --help` shows each noun's first help paragraph without importing it; keep them equal."""
    import importlib

    from ogcli.lazy import SUBCOMMANDS

    commands_dir = PACKAGE / "commands"
    modules = {p.stem for p in commands_dir.glob("*.py") if not p.stem.startswith("_")}
    assert {module.rsplit(".", 1)[1] for module, _ in SUBCOMMANDS.values()} == modules
    for name, (module, help_line) in SUBCOMMANDS.items():
        app = importlib.import_module(module).app
        assert app.info.help.split("\n\n")[0].replace("\n", " ") == help_line, name


def test_root_help_imports_no_command_module():
    probe = (
        "import sys, io, contextlib\n"
        "from ogcli.main import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        app(args=['--help'], prog_name='ogcli', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('@@' + __import__('json').dumps(sorted(m for m in sys.modules if m.startswith('ogcli.commands.'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout.rsplit("@@", 1)[1]) == []
