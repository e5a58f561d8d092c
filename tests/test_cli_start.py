"""What `a64fault` imports at start: --help lists every command from the light
registry (a64fault/commands/__init__.py) without importing a command module,
and a command imports only its own module (and no numpy for a small file)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from a64fault.commands import MODULES, SHORT_HELP

ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"

#: Runs the CLI in a fresh interpreter, then prints the heavy or command modules it loaded.
PROBE = """
import sys
from a64fault.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
from a64fault.commands import MODULES
commands = {"a64fault.commands." + module for module in MODULES.values()}
loaded = sorted(m for m in sys.modules if m in commands or m in ("numpy", "capstone", "elftools"))
print("LOADED", " ".join(loaded))
"""


def loaded_by(*args) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED")
    return last.split()[1:]


def test_registry_names_every_command_once():
    assert sorted(MODULES) == sorted(SHORT_HELP)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_command_shows_the_registry_line(name):
    command = importlib.import_module(f"a64fault.commands.{MODULES[name]}").command
    assert command.name == name
    assert command.get_short_help_str(limit=200) == SHORT_HELP[name]


def test_help_lists_every_command_and_imports_none():
    assert loaded_by("--help") == []
    done = subprocess.run([sys.executable, "-m", "a64fault", "--help"], capture_output=True,
                          text=True, timeout=120)
    listed = done.stdout.split("Commands:")[1]
    for name, line in SHORT_HELP.items():
        assert name in listed and line.split()[0] in listed


def test_scan_of_a_small_file_loads_only_its_command():
    # The first scan after the table or its compiler changed builds the cached
    # tables, with numpy; the start measured here is the one after that.
    loaded_by("scan", ELF / "tiny-le")
    # Capstone's library is loaded without its Python binding (capstone_lib).
    assert loaded_by("scan", ELF / "tiny-le") == ["a64fault.commands.scan"]
    assert loaded_by("scan", "--kind", "other", "--limit", "0", ELF / "tiny-le") == [
        "a64fault.commands.scan"]
