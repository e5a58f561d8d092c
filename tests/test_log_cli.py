"""`a64fault log` through the console script: output forms and exit status (0 found,
1 nothing found, 2 bad input), as grep does."""

from __future__ import annotations

import json

import pytest

from tests.cli import ROOT
from tests.test_log_lines import OOPS_61
from tests.test_log_live import kprobe_trace

ELF = ROOT / "fixtures" / "elf"
JSON_KEYS = {"file", "line", "esr", "decoded", "far", "pc", "symbol", "el", "word", "text",
             "form", "kind", "decision", "printed", "mismatches"}
PRETOUCH = 0x1010188  # tiny-le: stadd wzr, [x0] (tests/test_cli.py)

# Linux 6.1 traps.c arm64_show_signal + process.c __show_regs, with a pc in tiny-le's pretouch.
USER_61 = (
    "[ 31.0] tiny-le[4242]: unhandled exception: DABT (lower EL), ESR 0x0000000092000007, "
    "level 3 translation fault in tiny-le[1010000+1000]\n"
    f"[ 31.0] pc : {PRETOUCH:016x}\n")


@pytest.fixture
def run(cli):
    def run(*args, stdin=None, ok=True):
        done = cli("log", *args, stdin=stdin)
        if ok:
            assert done.returncode == 0, done.stderr
            assert done.stderr == ""
        return done
    return run


@pytest.fixture
def oops_log(tmp_path):
    path = tmp_path / "dmesg.txt"
    path.write_text("\n".join(OOPS_61) + "\n" + USER_61)
    return path


def test_json_lines_have_the_fields(run, oops_log):
    done = run("--json", "--elf", ELF / "tiny-le", oops_log)
    oops, user = [json.loads(line) for line in done.stdout.splitlines()]
    assert oops.keys() >= JSON_KEYS and user.keys() >= JSON_KEYS
    assert oops["record"] == user["record"] == "fault"
    assert (oops["line"], oops["esr"], oops["el"], oops["mismatches"]) == (
        1, "0x96000006", "kernel", [])
    assert oops["decoded"]["dfsc_name"] == "translation fault, level 2"
    assert oops["printed"]["WnR"] == 0 and oops["printed"]["EC_name"] == "DABT (current EL)"
    assert user["file"] == str(oops_log) and user["pc"] == hex(PRETOUCH)
    assert (user["word"], user["text"], user["kind"]) == ("b83f001f", "stadd wzr, [x0]",
                                                          "atomic-rmw")
    assert user["decision"]["upgraded"] is True and user["decision"]["effective"] == "write"


def test_text_output_shows_a_mismatch_as_a_warning(run, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("\n".join(OOPS_61).replace("CM = 0, WnR = 0", "CM = 0, WnR = 1") + "\n")
    done = run(path)
    assert "warning: kernel printed WnR = 1, the ESR decodes to 0" in done.stdout


def test_kprobe_records_per_instruction(run, tmp_path):
    path = tmp_path / "trace"
    path.write_text(kprobe_trace(PRETOUCH))
    done = run("--json", "--elf", ELF / "tiny-le", path)
    (item,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert (item["record"], item["faults"], item["double_faults"], item["word"]) == (
        "instruction", 32, 16, "b83f001f")
    assert item["spared"]["atomic"] == 16 and item["spared"]["none"] == 0
    text = run("--elf", ELF / "tiny-le", path).stdout
    assert "stadd wzr, [x0] / atomic-rmw" in text


def test_summary(run, oops_log):
    counts = json.loads(run("--summary", "--json", "--elf", ELF / "tiny-le",
                            oops_log).stdout)["summary"]
    assert counts["faults"] == 2 and counts["by_access"] == {"read": 2}
    assert counts["by_kind"] == {"unknown": 1, "atomic-rmw": 1}
    assert counts["atomic_read_faults"] == 1
    assert "double-fault candidates): 1" in run("--summary", "--elf", ELF / "tiny-le",
                                                oops_log).stdout


def test_nothing_found_is_exit_1(run):
    done = run("-", stdin="usb 1-1: new device\nhello\n", ok=False)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")


@pytest.mark.parametrize("args, message", [
    (["/nonexistent/dmesg"], "no such file"),
    (["--base", "0xzz", "--elf", "fixtures/elf/tiny-le", "-"], "--base"),
    (["--maps", "README.md", "-"], "--maps and --base need --elf"),
    (["tests"], "is a directory"),
    (["--elf", "README.md", "-"], "not an ELF file"),
    (["--policy", "bogus", "-"], "bogus"),
    (["--elf", "fixtures/elf/tiny-le", "--maps", "README.md", "--base", "0", "-"], "not both"),
    (["--elf", "fixtures/elf/tiny-le", "--maps", "README.md", "-"], "not a /proc/PID/maps line"),
])
def test_bad_input_is_exit_2(run, args, message):
    done = run(*args, stdin="", ok=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("a64fault: error: ") and message in done.stderr
    assert len(done.stderr.splitlines()) == 1
