"""`a64fault classify` and `a64fault esr` through main() in this process (tests/cli.py),
plus a few runs of `python -m a64fault` as a real process.

Words are LLVM's (ziglang) from fixtures/elf/tiny-le (fixtures/build_elves.py),
checked against that file with pyelftools in test_fixture_words_are_llvms;
b820001f (`stadd w0, [x0]`) is the README's worked example.
"""

import json
import shutil
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.cli import run_in_process, run_subprocess

ROOT = Path(__file__).resolve().parent.parent
ELF = ROOT / "fixtures" / "elf"


def run(*args, stdin=None, ok=True):
    done = run_in_process(*args, stdin=stdin)
    if ok:
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
    return done


def json_lines(done):
    return [json.loads(line) for line in done.stdout.splitlines()]


STADD_W0 = "b820001f"            # the README's worked example: stadd w0, [x0]
STADD_WZR = "b83f001f"           # tiny-le pretouch: stadd wzr, [x0]
LDADDAL = "b8e10002"             # tiny-le add_one+0x4: ldaddal w1, w2, [x0]
LDXR = "885f7c01"                # tiny-le llsc_add: ldxr w1, [x0]
PRETOUCH = 0x1010188             # tiny-le: address of pretouch
KEYS = ["address", "word", "bytes", "text", "form", "kind", "feature", "writes", "upgrade",
        "policy"]


def test_fixture_words_are_llvms():
    with open(ELF / "tiny-le", "rb") as handle:
        elf = ELFFile(handle)
        text = elf.get_section_by_name(".text")
        symtab = elf.get_section_by_name(".symtab")

        def word(name, offset=0):
            (sym,) = symtab.get_symbol_by_name(name)
            start = sym["st_value"] - text["sh_addr"] + offset
            return text.data()[start:start + 4][::-1].hex()

        assert symtab.get_symbol_by_name("pretouch")[0]["st_value"] == PRETOUCH
        assert word("pretouch") == STADD_WZR
        assert word("add_one", 4) == LDADDAL
        assert word("llsc_add") == LDXR


def test_worked_example_human():
    out = run("classify", STADD_W0, "--esr", "0x92000007").stdout
    (line,) = out.splitlines()
    fields = line.split()
    assert fields[:7] == [STADD_W0, "stadd", "w0,", "[x0]", "atomic-rmw", "LSE", "LDADD"]
    assert fields[7] == "read->write:"
    assert "translation fault, level 3" in line


def test_worked_example_json():
    (record,) = json_lines(run("classify", STADD_W0, "--esr", "0x92000007", "--json"))
    assert list(record) == KEYS + ["esr", "decision"]
    assert record["address"] is None
    assert record["word"] == "0x" + STADD_W0
    assert record["bytes"] == "1f0020b8"
    assert record["text"] == "stadd w0, [x0]"
    assert (record["form"], record["kind"], record["feature"]) == ("LDADD", "atomic-rmw", "LSE")
    assert record["writes"] is True and record["upgrade"] is True
    assert record["policy"] == "atomic"
    assert int(record["esr"], 16) == 0x92000007
    decision = record["decision"]
    assert (decision["reported"], decision["effective"], decision["upgraded"]) == (
        "read", "write", True)
    assert decision["policy"] == "atomic" and decision["reason"]


def test_without_esr_no_decision():
    (record,) = json_lines(run("classify", STADD_W0, "--json"))
    assert list(record) == KEYS
    out = run("classify", STADD_W0).stdout
    assert "->" not in out and "read" not in out


@pytest.mark.parametrize("options, effective", [
    (["--policy", "none"], "read"),
    (["--policy", "kernel-v5"], "write"),
    (["--vma-readonly"], "read"),
    (["--vma-writable"], "write"),
    (["--el", "1"], "read"),
    (["--aarch32"], "read"),
])
def test_decision_options(options, effective):
    (record,) = json_lines(run("classify", STADD_W0, "--esr", "0x92000007", "--json", *options))
    assert record["decision"]["effective"] == effective
    assert record["decision"]["upgraded"] is (effective == "write")


def test_ldxr_upgraded_only_with_exclusive_policy():
    records = json_lines(run("classify", LDXR, LDXR, "--json", "--policy", "atomic+exclusive"))
    assert [r["upgrade"] for r in records] == [True, True]
    (record,) = json_lines(run("classify", LDXR, "--json"))
    assert record["kind"] == "load-exclusive" and record["upgrade"] is False


def test_write_fault_esr_and_exec_fault_esr():
    (write,) = json_lines(run("classify", STADD_W0, "--json", "--esr", "0x9200004f"))
    assert write["decision"]["reported"] == "write" and not write["decision"]["upgraded"]
    (exec_,) = json_lines(run("classify", STADD_W0, "--json", "--esr", "8200000f"))
    assert exec_["decision"]["reported"] == "exec" and not exec_["decision"]["upgraded"]


@pytest.mark.parametrize("args, stdin", [
    ([STADD_WZR + "," + LDADDAL], None),
    (["0x" + STADD_WZR, "0X" + LDADDAL.upper()], None),
    ([STADD_WZR, LDADDAL], None),
    (["-"], f"{STADD_WZR},\n 0x{LDADDAL} \n"),
    (["--bytes", "1f 00 3f b8 02 00 e1 b8"], None),
    (["--bytes", "1f003fb8,0200e1b8"], None),
    (["--bytes", "b8 3f 00 1f b8e10002", "--endian", "big"], None),
])
def test_word_input_forms(args, stdin):
    records = json_lines(run("classify", "--json", *args, stdin=stdin))
    assert [r["word"] for r in records] == ["0x" + STADD_WZR, "0x" + LDADDAL]
    assert [r["text"] for r in records] == ["stadd wzr, [x0]", "ldaddal w1, w2, [x0]"]
    assert [r["bytes"] for r in records] == ["1f003fb8", "0200e1b8"]
    assert all(r["address"] is None for r in records)


def test_file_with_offset_and_count(tmp_path):
    path = tmp_path / "dump.bin"
    path.write_bytes(b"\x00\x00" + bytes.fromhex("1f003fb8 0200e1b8 017c5f88"))
    records = json_lines(run("classify", "--json", "--file", path, "--offset", "2"))
    assert [r["address"] for r in records] == ["0x2", "0x6", "0xa"]
    assert [r["word"][2:] for r in records] == [STADD_WZR, LDADDAL, LDXR]
    records = json_lines(run("classify", "--json", "--file", path, "--offset", "0x6",
                             "--count", "1"))
    assert [r["word"][2:] for r in records] == [LDADDAL]
    big = tmp_path / "big.bin"
    big.write_bytes(bytes.fromhex(STADD_WZR))
    (record,) = json_lines(run("classify", "--json", "--file", big, "--endian", "big"))
    assert record["word"][2:] == STADD_WZR


@pytest.mark.parametrize("name", ["tiny-le", "tiny-be"])
def test_elf_by_address_and_symbol(name):
    by_addr = json_lines(run("classify", "--json", "--elf", ELF / name, "--addr",
                             hex(PRETOUCH + 12), "--count", "2"))
    by_symbol = json_lines(run("classify", "--json", "--elf", ELF / name, "--symbol",
                               "add_one+0x4", "--count", "2"))
    assert by_addr == by_symbol
    assert [r["address"] for r in by_addr] == [hex(PRETOUCH + 12), hex(PRETOUCH + 16)]
    assert [r["symbol"] for r in by_addr] == ["add_one+0x4", "add_one+0x8"]
    assert by_addr[0]["word"][2:] == LDADDAL
    assert [r["text"] for r in by_addr] == ["ldaddal w1, w2, [x0]", "swp w2, w3, [x0]"]
    assert [r["kind"] for r in by_addr] == ["atomic-rmw", "atomic-rmw"]
    assert [r["mapping"] for r in by_addr] == ["$x", "$x"]


def test_elf_le_and_be_print_the_same():
    outs = {run("classify", "--elf", ELF / name, "--symbol", "pretouch", "--esr", "0x92000007")
            .stdout for name in ("tiny-le", "tiny-be")}
    (out,) = outs
    assert out.split()[:5] == [hex(PRETOUCH), "<pretouch>", STADD_WZR, "stadd", "wzr,"]


def test_elf_relocatable_addresses_are_text_offsets():
    (record,) = json_lines(run("classify", "--json", "--elf", ELF / "tiny-le.o", "--addr", "30"))
    assert record["address"] == ".text+0x30" and record["symbol"] == "pretouch"
    assert (record["section"], record["offset"]) == (".text", "0x30")
    assert record["word"][2:] == STADD_WZR


def test_human_columns_are_aligned():
    lines = run("classify", "--elf", ELF / "tiny-le", "--symbol", "add_one", "--count",
                "6").stdout.splitlines()
    assert len(lines) == 6
    kinds = ["other", "atomic-rmw", "atomic-rmw", "compare-and-swap", "other", "other"]
    columns = {line.index("  " + kind) for line, kind in zip(lines, kinds)}
    assert len(columns) == 1
    assert lines[0].startswith(hex(PRETOUCH + 8) + " <add_one>")


def test_undecodable_word_shows_question_mark():
    # pick+0x14 in tiny-le is the jump table `.byte 0, 2, 4, 0`.
    out = run("classify", "--elf", ELF / "tiny-le", "--symbol", "pick+0x14").stdout
    assert out.split()[2:5] == ["00040200", "(data)", "?"]
    (record,) = json_lines(run("classify", "--json", "00040200"))
    assert record["text"] is None


def test_esr_human():
    out = run("esr", "0x92000007").stdout
    assert out.splitlines()[0].startswith("ESR_ELx 0x0000000092000007: Data Abort")
    assert "translation fault, level 3" in out
    two = run("esr", "92000007", "0x9200004f").stdout
    assert two.count("ESR_ELx") == 2 and "permission fault, level 3" in two


def test_esr_json():
    (record,) = json_lines(run("esr", "--json", "0x92000007"))
    assert record["ec"] == 0x24 and record["dfsc"] == 7 and record["wnr"] == 0
    assert record["dfsc_name"] == "translation fault, level 3"
    assert record["is_write_abort"] is False and record["from_lower_el"] is True


def test_help_lists_commands():
    out = run("--help").stdout
    assert "classify" in out and "esr" in out
    assert "--vma-writable" in run("classify", "--help").stdout


def _not_elf(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not an elf\n")
    return path


BAD = [
    (["classify", "b820001"], None, "odd number of hex digits"),
    (["classify", "zz"], None, "not a hex instruction word"),
    (["classify"], None, "no instruction words given"),
    (["classify", "-"], "", "no instruction words given"),
    (["classify", "-"], " ,\n", "no instruction words given"),
    (["classify", "0x1b820001f"], None, "wider than 32 bits"),
    (["classify", "--bytes", "1f 00 20"], None, "not a multiple of 4"),
    (["classify", "--bytes", "1f 0 20 b8"], None, "odd number of hex digits"),
    (["classify", "--bytes", "zz"], None, "not hex bytes"),
    (["classify", "--bytes", ""], None, "no bytes given"),
    (["classify", "--endian", "middle", "--bytes", "1f0020b8"], None, "--endian"),
    (["classify", "--file", "fixtures/elf/nope.bin"], None, "no such file"),
    (["classify", "--file", "fixtures/elf/tiny-le", "--offset", "99999"], None, "past the end"),
    (["classify", "--elf", "fixtures/elf/nope", "--addr", "0"], None, "no such file"),
    (["classify", "--elf", "NOTELF", "--addr", "0"], None, "not an ELF file"),
    (["classify", "--elf", "LS", "--addr", "0"], None, "not AArch64"),
    (["classify", "--elf", "fixtures/elf/tiny-le-truncated", "--addr", "1010188"], None,
     "truncated"),
    (["classify", "--elf", "fixtures/elf/tiny-le", "--addr", "0x10"], None,
     "outside every loaded segment"),
    (["classify", "--elf", "fixtures/elf/tiny-le", "--addr", "0x1010189"], None,
     "not 4-byte aligned"),
    (["classify", "--elf", "fixtures/elf/tiny-le", "--symbol", "nope"], None, "unknown symbol"),
    (["classify", "--elf", "fixtures/elf/tiny-le"], None, "--addr"),
    (["classify", "--elf", "fixtures/elf/tiny-le", "--addr", "xyz"], None, "not a hex number"),
    (["classify", "b820001f", "--addr", "0x10"], None, "go with --elf"),
    (["classify", "b820001f", "--bytes", "1f0020b8"], None, "give one input"),
    (["classify", "b820001f", "--esr", "0x10000000000000000"], None, "wider than 64 bits"),
    (["classify", "b820001f", "--esr", "0x56000000"], None, "not an abort"),
    (["classify", "b820001f", "--policy", "bogus"], None, "--policy"),
    (["classify", "b820001f", "--el", "2"], None, "--el"),
    (["esr", "0x10000000000000000"], None, "wider than 64 bits"),
    (["esr", "--", "-1"], None, "not a hex number"),
    (["esr", "0xzz"], None, "not a hex number"),
    (["esr"], None, "Missing argument"),
    (["nosuchcommand"], None, "No such command"),
]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    """Every BAD invocation, run in this process."""
    substitutions = {"NOTELF": str(_not_elf(tmp_path_factory.mktemp("notelf"))),
                     "LS": shutil.which("ls") or "/bin/ls"}
    return [run(*[substitutions.get(a, a) for a in args], stdin=stdin, ok=False)
            for args, stdin, _ in BAD]


@pytest.mark.parametrize("case", range(len(BAD)), ids=[" ".join(args) for args, _, _ in BAD])
def test_bad_input_one_line_exit_2(bad_runs, case):
    done, message = bad_runs[case], BAD[case][2]
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("a64fault: error: ")
    assert message in lines[0]


# ---- the real process: `python -m a64fault` (no PATH needed) -------------------------------

def test_module_entry_point_prints_the_worked_example():
    done = run_subprocess("classify", STADD_W0, "--esr", "0x92000007")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("b820001f  stadd w0, [x0]  atomic-rmw  LSE  LDADD  read->write")


@pytest.mark.parametrize("args", [["classify", "zz"], ["esr", "0xzz"], ["nosuchcommand"]])
def test_a_bad_input_process_exits_2_with_one_line(args):
    done = run_subprocess(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("a64fault: error: ")


def test_version_is_the_package_metadata():
    from importlib.metadata import version

    done = run_subprocess("--version")
    assert done.returncode == 0
    assert version("a64fault") in done.stdout
