"""The layering of docs/ARCHITECTURE.md, enforced: a cheap --help, a core without UI or RPC
imports, and every other direction of `commands`, `tui` -> libraries -> `core`."""

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


# The libraries, lowest first: each may import its own rank and those below, never above.
LIBRARY_RANK = {"core": 0, "chain": 1, "protocol": 1, "wallet": 1, "storage": 1, "verify": 2, "node": 3, "sdk": 3,
                "devnet": 4}
# Modules of the command line's own layer (rendering, asking, option types, the app itself):
# no library imports them. Support modules (errors, config, context, locations, fsutil, ...) are
# shared by every layer.
CLI_MODULES = {"ogcli.output", "ogcli.receipt", "ogcli.confirm", "ogcli.writes", "ogcli.diagnostics",
               "ogcli.appfactory", "ogcli.main", "ogcli.lazy", "ogcli.plans", "ogcli.parsing", "ogcli.signing",
               "ogcli.crash_log", "ogcli.__main__"}
UI_LIBRARIES = {"typer", "click", "rich", "textual"}
ROOT = PACKAGE.parent


def _imports():
    """(importing module, imported name) for every import in ogcli/ and tui/, function-level ones
    included (most of ours are, to keep start-up cheap)."""
    for base in ("ogcli", "tui"):
        for path in (ROOT / base).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
                else:
                    continue
                for name in names:
                    yield module, name


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "ogcli" and len(parts) > 1 else parts[0]


def _is_cli_module(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in CLI_MODULES)


def test_every_direction_of_the_layering():
    wrong = []
    for module, name in _imports():
        source, target = _package(module), _package(name)
        if source in LIBRARY_RANK:
            if name.startswith(("ogcli.commands", "tui")) or _is_cli_module(name):
                wrong.append(f"{module} (a library) imports {name} (the command line's)")
            elif name.split(".")[0] in UI_LIBRARIES:
                wrong.append(f"{module} (a library) imports {name}")
            elif target in LIBRARY_RANK and LIBRARY_RANK[target] > LIBRARY_RANK[source]:
                wrong.append(f"{module} ({source}) imports {name} ({target}, a layer above it)")
        elif source == "tui" and name.startswith("ogcli.commands"):
            wrong.append(f"{module} (the dashboard) imports {name}: share through the libraries or ogcli.plans")
        elif source == "commands" and name.startswith("tui") and module != "ogcli.commands.dashboard":
            wrong.append(f"{module} imports {name}: only `ogcli dashboard` starts the dashboard")
        elif name.startswith("ogcli.commands") and source not in ("commands", "main", "lazy"):
            wrong.append(f"{module} imports {name}: commands are leaves, nothing below calls them")
    assert wrong == [], "\n".join(wrong)


def test_the_layering_check_sees_function_level_imports():
    """The check above reads imports inside functions too (a check that misses them would pass
    whatever the code does): the dashboard's lazy import of the app is one it must find."""
    assert any(module == "ogcli.commands.dashboard" and name.startswith("tui.") for module, name in _imports())


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
