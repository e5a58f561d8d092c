"""``a64fault scan`` over directories: the walk, --summary, failed files in the
JSON stream, and the likely-data rule on a stripped file with a table in .text.

Fixtures: fixtures/elf/ (fixtures/build_elves.py); ``table``/``table-stripped``
hold 64 pseudo-random words around one LDADD encoding between two functions
(table_asm()); the oracle for where the table lies is ``table``'s symbols
read with pyelftools.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.cli import run_in_process

ELF = Path(__file__).resolve().parent.parent / "fixtures" / "elf"


def run(*args, expect=0):
    """Run the command line in this process (tests/cli.py)."""
    done = run_in_process(*args)
    assert "Traceback" not in done.stderr
    if expect is not None:
        assert done.returncode == expect, done.stderr
    return done


@pytest.fixture
def tree(tmp_path):
    """A directory with ELF files, a non-ELF file, a symlink pair, a link loop,
    a nested directory, a FIFO and a truncated ELF."""
    root = tmp_path / "tree"
    (root / "lib" / "deep").mkdir(parents=True)
    shutil.copy(ELF / "tiny-le", root / "lib" / "tiny-le")
    os.symlink("tiny-le", root / "lib" / "tiny-le.so.1")
    shutil.copy(ELF / "mod.o", root / "lib" / "deep" / "mod.o")
    shutil.copy(ELF / "tiny-le-truncated", root / "lib" / "deep" / "broken")
    (root / "README").write_text("not an ELF file\n")
    os.symlink("..", root / "lib" / "deep" / "up")  # a loop
    os.mkfifo(root / "fifo")
    return root


def test_a_directory_is_walked_once_per_file(tree):
    done = run("scan", "--json", "--summary", tree, expect=1)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    *files, summary = lines
    scanned = sorted(Path(item["file"]).name for item in files if "error" not in item)
    assert scanned == ["mod.o", "tiny-le"]  # the link pair and the loop: once each
    (failed,) = [item for item in files if "error" in item]
    assert failed["file"].endswith("broken") and "truncated" in failed["error"]
    assert done.stderr.count("a64fault: error:") == 1 and "broken" in done.stderr
    assert summary["summary"] is True
    assert (summary["files"], summary["failed"], summary["skipped"]) == (2, 1, 2)
    assert summary["selected"] == sum(item["selected"] for item in files if "error" not in item)
    assert summary["counts"]["atomic-rmw"] == sum(item["counts"]["atomic-rmw"]
                                                 for item in files if "error" not in item)
    assert {entry["file"] for entry in summary["top"]} == {item["file"] for item in files
                                                           if item.get("selected")}


def test_summary_in_text(tree):
    done = run("scan", "--summary", tree / "lib", expect=1)
    last = done.stdout.splitlines()
    at = next(i for i, line in enumerate(last) if line.startswith("summary:"))
    assert last[at].startswith("summary: 2 files scanned, 1 failed, 0 skipped")
    assert any(line.strip().endswith("mod.o") for line in last[at:])


def test_a_named_non_elf_file_is_an_error_not_skipped(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("hello")
    done = run("scan", "--json", note, expect=1)
    assert json.loads(done.stdout) == {"file": str(note), "error": f"{note}: not an ELF file"}


def _table_bounds():
    with open(ELF / "table", "rb") as handle:
        symbols = {s.name: s for s in ELFFile(handle).get_section_by_name(".symtab")
                   .iter_symbols()}
    table = symbols["table"]
    return table["st_value"], table["st_value"] + table["st_size"]


def test_likely_data_in_a_stripped_table():
    start, end = _table_bounds()
    done = run("scan", "--json", ELF / "table-stripped")
    result = json.loads(done.stdout)
    listed = [int(item["address"], 16) for item in result["listed"]]
    likely = [int(item["address"], 16) for item in result["likely_data_listed"]]
    assert likely and all(start <= a < end for a in likely)
    assert len(listed) == 3 and not any(start <= a < end for a in listed)  # incl. the SWP after it
    assert result["likely_data"] == len(likely) and result["selected"] == len(listed)
    text = run("scan", ELF / "table-stripped").stdout
    assert "(data?) ldadd w3, w4, [x5]" in text
    unchecked = json.loads(run("scan", "--json", "--no-data-check",
                               ELF / "table-stripped").stdout)
    assert unchecked["selected"] == len(listed) + len(likely) and unchecked["likely_data"] == 0


def test_mapping_symbols_make_the_rule_moot():
    """With symbols, the table is $d data: skipped, never 'likely data'."""
    result = json.loads(run("scan", "--json", ELF / "table").stdout)
    start, end = _table_bounds()
    assert result["likely_data"] == 0
    assert result["data_words"] == (end - start) // 4 - 1  # all but the LDADD ($x inside)


def test_escape_sequences_in_names_are_stripped_from_text(tmp_path):
    """A file name holding an ANSI colour sequence: text output (not a
    terminal) shows the name without it, as click.echo does."""
    odd = tmp_path / "red\x1b[31mname"
    shutil.copy(ELF / "tiny-le", odd)
    done = run("scan", odd)
    assert "\x1b" not in done.stdout
    assert f"{tmp_path}/rednames" not in done.stdout and f"{tmp_path}/redname:" in done.stdout
