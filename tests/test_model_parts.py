"""The fault model's parts: committed encodings, ESR fields, the run map, inputs, CLI."""

import json
import random

import pytest

from a64fault import assembler as asm
from a64fault.errors import InputError
from a64fault.model import Setup, parse_size, simulate, syndrome
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
    # Nothing else is set: no ISV, no ISS2, no other ISS bit.
    assert (s.isv, s.iss2, s.s1ptw, s.ea) == (0, 0, 0, 0)


def test_dfsc_names_agree_with_the_esr_decoder():
    from a64fault.esr import FAULT_STATUS_CODES

    for fault_type in (syndrome.TRANSLATION, syndrome.PERMISSION):
        for level in range(4):
            code = syndrome.dfsc(fault_type, level)
            assert FAULT_STATUS_CODES[code] == (f"{fault_type} fault, level {level}", fault_type)


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
    region.set_ptes(0, 1, Pte.PRIVATE)
    region.set_ptes(511, 1, Pte.NONE)
    state = region.freeze()
    assert state.ptes == ((1, Pte.PRIVATE), (510, Pte.ZERO), (1, Pte.NONE))
    assert Region(state).ptes == region.ptes


def test_region_freeze_after_changed_ranges_matches_the_list():
    """freeze() reads one PTE per stretch between start runs and changed ranges."""
    rng = random.Random(3)
    values = list(Pte)
    for _ in range(300):
        start = Region()
        start.make_table(rng.choice(values))
        for _ in range(rng.randrange(5)):
            first = rng.randrange(512)
            start.set_ptes(first, rng.randrange(1, 513 - first), rng.choice(values))
        region = Region(start.freeze())
        for _ in range(rng.randrange(8)):
            first = rng.randrange(512)
            region.set_ptes(first, rng.randrange(1, 513 - first), rng.choice(values))
        expected = []
        for pte in region.ptes:
            if expected and expected[-1][1] is pte:
                expected[-1][0] += 1
            else:
                expected.append([1, pte])
        assert region.freeze().ptes == tuple((n, pte) for n, pte in expected)


# -- inputs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [("4096", 4096), ("4K", 4096), ("2m", 2 << 20),
                                        ("1G", 1 << 30), ("1TiB", 1 << 40), ("3 MB", 3 << 20)])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["12Q", "", "-1G", "0", "1.5G", "G", "iB", "0x", "0x1K"])
def test_parse_size_rejects(text):
    with pytest.raises(InputError, match="^bad --stride "):
        parse_size(text, "--stride")


@pytest.mark.parametrize("text", ["0", "0K", "00", "0x0", "0 MiB"])
def test_parse_size_zero_only_when_allowed(text):
    assert parse_size(text, "--align", allow_zero=True) == 0
    with pytest.raises(InputError, match=f"^bad --size {text!r}: must be positive$"):
        parse_size(text, "--size")


def test_parse_size_hex():
    assert parse_size("0x1000") == parse_size("0X1000") == 4096


# -- the 48-bit address space ---------------------------------------------------------------
def test_size_must_fit_the_address_space():
    from a64fault.model.runner import DEFAULT_BASE
    from a64fault.model.state import ADDRESS_SPACE

    room = ADDRESS_SPACE - DEFAULT_BASE
    with pytest.raises(InputError, match="48-bit user address space"):
        Setup(workload="pretouch-lse", size=300 << 40)
    with pytest.raises(InputError, match="48-bit"):  # rounding up to a page crosses the end
        Setup(workload="pretouch-lse", size=room - 4096, align=8192)
    with pytest.raises(InputError, match="48-bit"):
        Setup(workload="pretouch-lse", size=room - 4096 + 1, align=4096)
    # The largest range that fits is simulated in full: every page is resident.
    row = simulate(Setup(workload="pretouch-lse", size=room - 4096, align=4096),
                   ("6.10",), ("none",))[0]
    assert row["size_bytes"] == room - 4096
    assert row["base_pages"] == (room - 4096) // 4096 and row["rss_bytes"] == room - 4096


@pytest.mark.parametrize("kw", [dict(size=0), dict(stride=0), dict(size=-4096),
                                dict(max_ptes_none=512), dict(max_ptes_none=-1),
                                dict(align=-4096), dict(align=2 << 20)])
def test_setup_rejects_out_of_range_numbers(kw):
    with pytest.raises(InputError):
        Setup(workload="memset", collapse=True, **kw)


@pytest.mark.parametrize("limit", [0, 511])
def test_setup_accepts_max_ptes_none_range(limit):
    assert Setup(workload="memset", collapse=True, max_ptes_none=limit).max_ptes_none == limit


# -- costs and the table ----------------------------------------------------------------------
@pytest.mark.parametrize("setting", ["fault=inf", "fault=1e400", "fault=nan", "fault=-1",
                                     "fault=-inf", "fault=", "fault"])
def test_bad_cost_overrides(setting):
    from a64fault.model import DEFAULT_COSTS

    with pytest.raises(InputError, match="bad cost"):
        DEFAULT_COSTS.with_overrides([setting])


def test_cost_overrides_and_tlbi():
    from a64fault.model import DEFAULT_COSTS
    from a64fault.model.costs import Costs
    from a64fault.model.counters import FIELDS, Counters

    costs = DEFAULT_COSTS.with_overrides(["fault=0", "tlbi=2.5"])
    assert costs.fault == 0 and costs.tlbi == pytest.approx(2.5e-6)
    only_tlbi = Costs(**{name: 0.0 for name in ("fault", "populate", "alloc_4k", "zero_4k",
                                                 "alloc_2m", "zero_2m", "pmd_split")}, tlbi=1.0)
    c = Counters()
    c.tlbi_page, c.tlbi_pmd = 3, 2
    assert only_tlbi.seconds(c) == 5.0
    assert "tlbi" not in FIELDS  # derived, so it cannot drift from its two parts


def test_table_columns_follow_row_keys():
    from a64fault.commands.simulate import COLUMNS, format_table
    from a64fault.model import ROW_KEYS

    keys = [key for key, _ in COLUMNS]
    assert keys == [key for key in ROW_KEYS if key in keys]
    assert keys[:3] == ["kernel", "policy", "faults"] and "est_seconds" in keys
    rows = simulate(Setup(workload="memset", size=8192), ("6.13",), ("none",))
    assert set(ROW_KEYS) <= set(rows[0])
    header, line = format_table(rows).splitlines()
    assert header.split()[:4] == ["kernel", "policy", "faults", "read"]
    assert line.split()[:3] == ["6.13", "none", "2"]


def test_every_workload_is_described():
    from a64fault.model import WORKLOADS
    from a64fault.model.workloads import DESCRIPTIONS

    assert set(DESCRIPTIONS) == set(WORKLOADS)


def test_rss_bytes_is_resident_pages_and_thps():
    row = simulate(Setup(workload="pretouch-lse", size=6 << 20, thp="always", align=4096),
                   ("6.13",), ("none",))[0]
    assert row["resident_thp"] > 0 and row["resident_pages"] > 0
    assert row["rss_bytes"] == row["resident_pages"] * 4096 + row["resident_thp"] * (2 << 20)


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
    with pytest.raises(InputError, match="missing.csv: no such file"):
        simulate(Setup(workload="trace", trace=str(tmp_path / "missing.csv")))


@pytest.mark.parametrize("rows,needle", [
    ([{"address": 4096, "asm": 5}], ":1: asm 5 is not a string"),
    ([{"address": 4096, "asm": ["x"]}], ":1: asm ['x'] is not a string"),
    ([{"address": 4096, "asm": "stadd wzr, [x0]"}, {"address": 8192, "asm": 7}],
     ":2: asm 7 is not a string"),
    ([{"address": 4096, "word": 0xB83F001F, "asm": {"a": 1}}], ":1: asm"),
    ([{"address": 4096, "word": [1]}], ":1: word [1] is missing or not a number"),
    ([{"address": 4096, "word": 1.5}], ":1: word 1.5"),
    ([{"address": 4096, "word": True}], ":1: word True is not a number"),
    ([{"address": [4096], "word": 1}], ":1: address [4096]"),
    ([{"address": 4.0, "word": 1}], ":1: address 4.0"),
    ([{"word": 1}], ":1: address None is missing"),
    ([{"address": 1 << 48, "word": 1}], ":1: address 281474976710656 is out of range"),
])
def test_trace_field_types_are_checked_before_use(tmp_path, rows, needle):
    """Wrong JSON types end in an InputError naming the line, not a TypeError or
    AttributeError (and before anything is assembled, so no LLVM is needed)."""
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(InputError) as caught:
        simulate(Setup(workload="trace", trace=str(path)), ("6.10",), ("none",))
    assert str(caught.value).startswith(f"{path}{needle}")


def test_trace_address_as_text_and_number(tmp_path):
    stadd = WORDS["stadd wzr, [x0]"]
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"word": f"{stadd:#x}", "address": f"{BASE:#x}"}) + "\n"
                    + json.dumps({"word": stadd, "address": BASE + 4096}) + "\n")
    row = simulate(Setup(workload="trace", trace=str(path)), ("6.10",), ("atomic",))[0]
    assert (row["faults"], row["upgraded"], row["base_pages"]) == (2, 2, 2)


def test_trace_must_be_a_regular_file(tmp_path):
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would block: the check must come first
    for path in (fifo, tmp_path):
        with pytest.raises(InputError, match="not a regular file"):
            simulate(Setup(workload="trace", trace=str(path)), ("6.10",), ("none",))
    if os.path.exists("/dev/zero"):  # a character device never ends
        with pytest.raises(InputError, match="/dev/zero: not a regular file"):
            simulate(Setup(workload="trace", trace="/dev/zero"), ("6.10",), ("none",))


def test_trace_not_utf8(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"word,address\n\xff,1\n")
    with pytest.raises(InputError, match="not UTF-8"):
        simulate(Setup(workload="trace", trace=str(path)), ("6.10",), ("none",))


# -- the command ------------------------------------------------------------------------------
def _invoke(args):
    from tests.cli import run_in_process

    return run_in_process("simulate", *args)


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
    (["-w", "memset", "-s", "12Q"], "bad --size '12Q'"),
    (["-w", "memset", "--stride", "0"], "bad --stride '0': must be positive"),
    (["-w", "memset", "--align", "-4K"], "bad --align '-4K'"),
    (["-w", "memset", "-s", "300T"], "48-bit user address space"),
    (["-w", "memset", "--cost", "fault=inf"], "finite"),
    (["-w", "memset", "--max-ptes-none", "100"], "--max-ptes-none goes with --collapse"),
    (["-w", "memset", "--collapse", "--max-ptes-none", "600"], "0 to 511"),
    (["-w", "trace", "--trace", "/nonexistent/t.csv"], "/nonexistent/t.csv: no such file"),
    (["-w", "memset", "--trace", "t.csv"], "--trace goes with --workload trace"),
    (["-w", "memset", "--kernel", "4.19"], "covers Linux 6.1 and later"),
    (["-w", "memset", "--kernel", "linus"], "unknown kernel"),
    (["-w", "memset", "--page-size", "8K"], "unknown page size"),
    (["-w", "memset", "--mthp", "48K=always"], "bad mTHP size"),
    (["-w", "memset", "--mthp", "8K=always"], "no anonymous THP of 8K"),
    (["-w", "memset", "--mthp", "64K=sometimes"], "unknown mTHP mode"),
    (["-w", "memset", "--mthp", "64K"], "expected SIZE=MODE"),
    (["-w", "memset", "--mthp", "64K=always", "--kernel", "6.1"], "mTHP came in Linux 6.8"),
    (["-w", "memset", "--cost", "bogus=1"], "bad cost"),
])
def test_cli_bad_input_is_one_line_exit_2(args, needle):
    done = _invoke(args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and needle in done.stderr
    assert done.stderr.startswith("a64fault: error:")


def test_plot_without_matplotlib_is_one_line(monkeypatch, cli, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    done = cli("simulate", "-w", "memset", "-s", "4K", "--plot", "x.png", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("a64fault: error:") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("name,looks_right", [
    ("p.png", lambda path: path.read_bytes().startswith(b"\x89PNG")),
    ("p.svg", lambda path: path.read_text().lstrip().startswith("<?xml")),
])
def test_plot_with_matplotlib(tmp_path, cli, name, looks_right):
    pytest.importorskip("matplotlib")
    out = tmp_path / name
    assert cli("simulate", "-w", "memset", "-s", "8K", "--plot", out).returncode == 0
    assert out.stat().st_size > 0 and looks_right(out)


@pytest.mark.parametrize("name,needle", [("p.xyz", "unsupported format 'xyz'"),
                                         ("p", "unsupported format '(no suffix)'"),
                                         ("nodir/p.png", "no such directory"),
                                         ("p.pgf", "needs LaTeX")])
def test_plot_path_checked_before_simulating(tmp_path, monkeypatch, cli, name, needle):
    pytest.importorskip("matplotlib")
    import a64fault.model

    def must_not_run(*args, **kw):
        raise AssertionError("simulated before checking --plot")

    monkeypatch.setattr(a64fault.model, "simulate", must_not_run)
    out = tmp_path / name
    done = cli("simulate", "-w", "memset", "-s", "4K", "--plot", out)
    assert done.returncode == 2
    err = done.stderr
    assert err.startswith("a64fault: error: --plot") and err.count("\n") == 1 and needle in err
    assert not out.exists()


# -- the rotation: counted regions against visited ones ----------------------------------------
def test_floor_sum_matches_a_loop():
    from a64fault.model.state import floor_sum

    rng = random.Random(7)
    for _ in range(500):
        n, m, a, b = rng.randrange(60), rng.randrange(1, 50), rng.randrange(80), rng.randrange(80)
        assert floor_sum(n, m, a, b) == sum((a * i + b) // m for i in range(n))


def test_rotation_census_matches_visiting_each_region():
    from a64fault.model.state import Rotation

    rng = random.Random(11)
    for _ in range(200):
        period = rng.randrange(1, 40)
        breaks = tuple(sorted({0} | {rng.randrange(period) for _ in range(rng.randrange(4))}))
        states = tuple(rng.choice("abc") for _ in breaks)
        rot = Rotation(period, rng.randrange(period), rng.randrange(period), breaks, states)
        lo = rng.randrange(100)
        hi = lo + rng.randrange(80)
        visited: dict = {}
        for index in range(lo, hi):
            visited[rot.at(index)] = visited.get(rot.at(index), 0) + 1
        assert dict(rot.census(lo, hi)) == visited


# -- THP tunables: thp_vma_allowable_orders, by hand -----------------------------------------
@pytest.mark.parametrize("enabled,hugepage,sizes,orders", [
    ("never", False, (), set()),
    ("always", False, (), {9}),                      # the PMD size inherits 'always'
    ("madvise", False, (), set()),
    ("madvise", True, (), {9}),
    ("never", False, ((4, "always"),), {4}),         # 64K always, PMD inherits 'never'
    ("always", False, ((4, "madvise"), (9, "never")), set()),
    ("always", True, ((4, "madvise"), (9, "never")), {4}),
    ("madvise", True, ((2, "inherit"), (3, "never")), {2, 9}),
])
def test_tunables_orders(enabled, hugepage, sizes, orders):
    from a64fault.model.tunables import Tunables

    assert Tunables(enabled=enabled, sizes=sizes).orders(hugepage) == orders


def test_mthp_settings_parse():
    from a64fault.model.geometry import geometry
    from a64fault.model.tunables import parse_sizes

    g = geometry("4K")
    assert parse_sizes(["64K=always,2M=inherit", "hugepages-16kB=madvise"], g) == (
        (2, "madvise"), (4, "always"), (9, "inherit"))
    assert parse_sizes({64: "always"}, g) == ((4, "always"),)
    assert parse_sizes({"32K": "never"}, geometry(16384)) == ((1, "never"),)
    with pytest.raises(InputError, match="no anonymous THP of 32K with 16K pages"):
        Setup(workload="memset", page_size="16K", mthp=("32K=always",))


def test_16k_pages_have_a_47_bit_address_space(tmp_path):
    """Debian's 16K kernel maps below 2^47 (its recorded mmap base is 0x7fff86000000)."""
    with pytest.raises(InputError, match="47-bit user address space"):
        Setup(workload="memset", size=200 << 40, page_size="16K")
    Setup(workload="memset", size=200 << 40)  # fits in 4K pages' 48 bits
    trace = tmp_path / "t.csv"
    trace.write_text(f"word,address\n{WORDS['str xzr, [x0]']:#x},{(1 << 47) + 4096:#x}\n")
    with pytest.raises(InputError, match="past the 47-bit"):
        simulate(Setup(workload="trace", trace=str(trace), page_size="16K"))
    assert simulate(Setup(workload="trace", trace=str(trace)), ("6.10",), ("none",))[0]["faults"] == 1
