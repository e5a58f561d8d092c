"""The fault model's parts: committed encodings, ESR fields, the run map, inputs, CLI."""

import json
import random

import pytest

from a64fault.errors import InputError
from a64fault.model import Setup, parse_size, simulate
from a64fault import assembler as asm
from a64fault.model import syndrome
from a64fault.model.encodings import WORDS
from a64fault.model.state import EMPTY, Pmd, Pte, Region, RegionState, RunMap


# -- encodings: the committed words are what LLVM makes of the text -----------------------
@pytest.mark.skipif(not asm.available(), reason="ziglang (LLVM) not installed")
def test_committed_words_reassemble():
    lines = list(WORDS)
    assert asm.assemble(lines) == [WORDS[line] for line in lines]


@pytest.mark.skipif(not asm.available(), reason="ziglang (LLVM) not installed")
def test_assembler_names_the_bad_line():
    with pytest.raises(InputError, match="frob"):
        asm.assemble(["stadd wzr, [x0]", "frob x1"])


# -- ESR: our fields, read back by the project's ESR decoder ------------------------------
@pytest.mark.parametrize("fault_type,level,wnr,cm", [
    ("translation", 3, False, False), ("permission", 3, True, False),
    ("translation", 2, False, False), ("permission", 2, True, False),
    ("translation", 3, True, True),
])
def test_esr_fields_decode(fault_type, level, wnr, cm):
    from a64fault.esr import decode

    value = syndrome.data_abort(wnr=wnr, cm=cm, fault_type=fault_type, level=level)
    s = decode(value)
    assert s.is_data_abort and s.from_lower_el
    assert (s.ec, s.il, s.wnr, s.cm) == (0x24, 1, int(wnr), int(cm))
    # DFSC per the Arm ARM: translation 0b0001LL, permission 0b0011LL.
    expected = {("translation", 3): 0b000111, ("permission", 3): 0b001111,
                ("translation", 2): 0b000110, ("permission", 2): 0b001110}[fault_type, level]
    assert s.dfsc == expected
    assert s.is_write_abort == (wnr and not cm)


# -- the run map against a plain list ---------------------------------------------------------
def test_run_map_matches_a_list():
    rng = random.Random(4)
    values = [EMPTY, RegionState(Pmd.THP), RegionState(Pmd.HUGE_ZERO),
              RegionState(Pmd.TABLE, ((1, Pte.PRIVATE), (511, Pte.ZERO)))]
    runs, plain = RunMap(200), [EMPTY] * 200
    for _ in range(3000):
        lo = rng.randrange(200)
        hi = rng.randrange(lo, 201)
        value = rng.choice(values)
        runs.assign(lo, hi, value)
        plain[lo:hi] = [value] * (hi - lo)
        a = rng.randrange(200)
        b = rng.randrange(a, 201)
        assert [v for s, e, v in runs.runs(a, b) for _ in range(e - s)] == plain[a:b]
    # merged: no two adjacent runs hold equal values
    starts = [s for s, _, _ in runs.runs(0, 200)]
    assert len(starts) == 1 + sum(plain[i] != plain[i - 1] for i in range(1, 200))


def test_region_freeze_round_trips():
    region = Region()
    region.make_table(Pte.ZERO)
    region.ptes[0] = Pte.PRIVATE
    region.ptes[511] = Pte.NONE
    state = region.freeze()
    assert state.ptes == ((1, Pte.PRIVATE), (510, Pte.ZERO), (1, Pte.NONE))
    assert Region(state).ptes == region.ptes


# -- inputs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [("4096", 4096), ("4K", 4096), ("2m", 2 << 20),
                                        ("1G", 1 << 30), ("1TiB", 1 << 40), ("3 MB", 3 << 20)])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["12Q", "", "-1G", "0", "1.5G", "G", "iB"])
def test_parse_size_rejects(text):
    with pytest.raises(InputError):
        parse_size(text)


@pytest.mark.parametrize("kw", [dict(workload="nope"), dict(workload="memset", thp="sometimes"),
                                dict(workload="trace"), dict(workload="memset", align=100),
                                dict(workload="memset", trace="x.csv")])
def test_bad_setup(kw):
    with pytest.raises(InputError):
        Setup(**kw)


def test_bad_kernel_and_policy():
    with pytest.raises(InputError):
        simulate(Setup(workload="memset", size=4096), kernels=("5.4",))
    with pytest.raises(InputError):
        simulate(Setup(workload="memset", size=4096), policies=("always",))


# -- traces -----------------------------------------------------------------------------------
BASE = 1 << 40


def test_csv_and_jsonl_traces_agree(tmp_path):
    stadd = WORDS["stadd wzr, [x0]"]
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("word,address\n" + "".join(f"{stadd:#x},{BASE + i * 4096:#x}\n"
                                                   for i in range(8)))
    jsonl_path = tmp_path / "t.jsonl"
    jsonl_path.write_text("".join(json.dumps({"word": stadd, "address": BASE + i * 4096}) + "\n"
                                  for i in range(8)))
    a = simulate(Setup(workload="trace", trace=str(csv_path)), ("6.10",), ("none", "atomic"))
    b = simulate(Setup(workload="trace", trace=str(jsonl_path)), ("6.10",), ("none", "atomic"))
    assert a == b
    # 8 pages by hand: none -> 8 read + 8 write faults; atomic -> 8 upgraded faults.
    assert (a[0]["faults"], a[0]["cow"]) == (16, 8)
    assert (a[1]["faults"], a[1]["upgraded"], a[1]["cow"]) == (8, 8, 0)


def test_trace_kinds_by_hand(tmp_path):
    """dc civac reads (CM=1 is a read for the mm), prfm never faults, cas needs write."""
    lines = [("prfm pldl1keep, [x0]", 0), ("dc civac, x0", 0), ("cas w1, w2, [x0]", 0),
             ("ldar x8, [x0]", 4096), ("stlr x8, [x0]", 4096)]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"word": WORDS[a], "address": BASE + off}) + "\n"
                            for a, off in lines))
    rows = {r["policy"]: r for r in simulate(Setup(workload="trace", trace=str(path)),
                                             ("6.10",), ("none", "atomic"))}
    none = rows["none"]
    # page 0: dc civac read fault (zero page), cas write permission fault (CoW);
    # page 1: ldar read fault, stlr write permission fault (CoW).
    assert none["fault_classes"] == {"read->read translation": 2, "write->write permission": 2}
    assert none["cow"] == 2
    # atomic: nothing changes, cas runs on an already mapped zero page (WnR=1 already).
    assert rows["atomic"]["faults"] == 4 and rows["atomic"]["upgraded"] == 0


@pytest.mark.skipif(not asm.available(), reason="ziglang (LLVM) not installed")
def test_trace_asm_is_assembled(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"asm,address\n\"stadd wzr, [x0]\",{BASE}\n\"swp w1, w2, [x0]\",{BASE + 4096}\n")
    row = simulate(Setup(workload="trace", trace=str(path)), ("6.10",), ("atomic",))[0]
    assert row["faults"] == row["upgraded"] == 2


@pytest.mark.parametrize("text", ["word,address\n0xzz,0x1000\n", "word,address\n0x1ffffffff,1\n",
                                  "word,address\n0xb83f001f,\n", "foo,bar\n1,2\n",
                                  '{"word": "x", "address": 1}\n', "{nope\n", ""])
def test_bad_trace_rows(tmp_path, text):
    path = tmp_path / "t.txt"
    path.write_text(text)
    with pytest.raises(InputError):
        simulate(Setup(workload="trace", trace=str(path)), ("6.10",), ("none",))


def test_unreadable_trace(tmp_path):
    with pytest.raises(InputError, match="cannot read trace"):
        simulate(Setup(workload="trace", trace=str(tmp_path / "missing.csv")))


# -- the command ------------------------------------------------------------------------------
def _invoke(args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", "from a64fault.cli import main; main()",
                           "simulate", *args], capture_output=True, text=True)


def test_cli_table_and_json():
    done = _invoke(["-w", "pretouch-lse", "-s", "2M", "--thp", "always", "--kernel", "6.10",
                    "--policy", "none,atomic"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["kernel", "policy", "faults"]
    assert lines[1].split()[:3] == ["6.10", "none", "513"]
    assert lines[2].split()[:3] == ["6.10", "atomic", "1"]
    done = _invoke(["-w", "memset", "-s", "8K", "--json", "--kernel", "6.13", "--policy", "none"])
    row = json.loads(done.stdout)
    required = {"kernel", "policy", "workload", "thp", "size_bytes", "faults", "read_faults",
                "write_faults", "upgraded", "cow", "tlbi", "thp_allocated", "pmd_splits",
                "base_pages", "rss_bytes", "est_seconds"}
    assert required <= set(row)
    assert (row["kernel"], row["policy"], row["faults"], row["base_pages"]) == ("6.13", "none",
                                                                                2, 2)


@pytest.mark.parametrize("args,needle", [
    (["-w", "nope"], "unknown workload"),
    (["-w", "memset", "-s", "12Q"], "bad size"),
    (["-w", "trace", "--trace", "/nonexistent/t.csv"], "cannot read trace"),
    (["-w", "memset", "--kernel", "4.19"], "unknown kernel"),
    (["-w", "memset", "--cost", "bogus=1"], "bad cost"),
])
def test_cli_bad_input_is_one_line_exit_2(args, needle):
    done = _invoke(args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and needle in done.stderr
    assert done.stderr.startswith("a64fault: error:")


def test_plot_without_matplotlib_is_one_line(monkeypatch):
    import sys

    from a64fault.cli import main

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit) as stop:
        main(["simulate", "-w", "memset", "-s", "4K", "--plot", "x.png"])
    assert stop.value.code == 2


def test_plot_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    from a64fault.cli import main

    out = tmp_path / "p.png"
    try:
        main(["simulate", "-w", "memset", "-s", "8K", "--plot", str(out)])
    except SystemExit as stop:
        assert stop.code in (0, None)
    assert out.stat().st_size > 0
