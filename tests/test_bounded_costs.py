"""Costs that hostile input could make unbounded: the assembler's, the predicate
algebra's, and a plot format that needs an external program."""

import random

import pytest

from a64fault import assembler
from a64fault.assembler import AssemblerError, assemble
from a64fault.audit import parse_predicate
from a64fault.cubes import CubeSet, work_budget
from a64fault.errors import InputError
from tests.expect import assert_one_error

DIRECTIVES = ['.incbin "/dev/zero"', ".fill 0x40000000,1,0", "x: .incbin \"/dev/zero\"",
              ".rept 100000000", ".inst 0xd503201f", "  .space 1<<30", "l: .zero 4",
              "nop\r.fill 10", "nop\x0b.fill 10", "nop; nop", "nop\n.fill 1", ""]


@pytest.mark.parametrize("line", DIRECTIVES)
def test_directives_and_second_statements_are_refused_before_assembling(monkeypatch, line):
    def must_not_run(argv):
        raise AssertionError("the assembler ran")

    monkeypatch.setattr(assembler, "_run_limited", must_not_run)
    with pytest.raises(AssemblerError, match="directive|not one assembly instruction"):
        assemble([line])


def test_a_long_line_is_refused():
    with pytest.raises(AssemblerError, match="characters"):
        assemble(["add x0, x0, #" + "1" * 5000])


def test_vector_arrangements_are_not_directives():
    pytest.importorskip("ziglang")
    assert assemble(["ld1 {v0.16b}, [x0]"]) == [0x4C407000]


def test_trace_directive_row_is_one_error_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"address": 4096, "asm": ".incbin \\"/dev/zero\\""}\n')
    assert_one_error(["simulate", "-w", "trace", "--trace", path, "--kernel", "6.10",
                      "--policy", "none"], contains="directives are refused")


@pytest.mark.slow
@pytest.mark.parametrize("line", ['.incbin "/dev/zero"', ".fill 0x40000000,1,0"])
def test_assembler_limits_hold_without_the_directive_check(monkeypatch, line):
    """If a line got past the check, the memory/CPU/file limits still end the run."""
    pytest.importorskip("ziglang")
    monkeypatch.setattr(assembler, "_check_one_instruction", lambda line, name: None)
    with pytest.raises(AssemblerError):
        assemble([line])


def _hostile_predicate(terms: int = 3000) -> str:
    """3,000 dense negated terms joined by '&' (about 129 KB): each '&' splits the
    growing set again; without a budget it ran for minutes."""
    rng = random.Random(12)
    parts = []
    for _ in range(terms):
        mask = sum(1 << bit for bit in rng.sample(range(32), rng.randint(20, 31)))
        parts.append(f"!( {mask:#010x} : {rng.getrandbits(32) & mask:#010x} )".ljust(40))
    return " & ".join(parts)


def test_costly_predicate_is_refused_naming_the_budget():
    text = _hostile_predicate()
    assert len(text) > 128_000
    with pytest.raises(InputError, match="too costly: more than 1,000,000,000 units"):
        parse_predicate(text)


def test_costly_predicate_cli_one_line():
    assert_one_error(["audit", _hostile_predicate()], contains="budget")


def test_work_budget_counts_work_not_time():
    """The same expression is refused at the same point on any machine."""
    a = CubeSet.union(*(CubeSet.term(0xFFFFFFFF, v) for v in range(0, 4000, 7)))
    with work_budget(10**12, "x"):
        assert len((a & ~CubeSet.term(0xF, 3)).cubes) > 0
    for _ in range(2):
        with pytest.raises(InputError, match="x is too costly: more than 50,000 units"), \
                work_budget(50_000, "x"):
            a & ~CubeSet.term(0xF, 3)


def test_plot_pgf_is_refused_up_front(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "x.pgf"
    assert_one_error(["simulate", "-w", "memset", "-s", "8K", "--plot", out],
                     contains="needs LaTeX")
    assert not out.exists()


def test_plot_ignores_a_matplotlibrc_that_asks_for_latex(tmp_path, monkeypatch, cli):
    matplotlib = pytest.importorskip("matplotlib")
    monkeypatch.setitem(matplotlib.rcParams, "text.usetex", True)
    out = tmp_path / "x.png"
    done = cli("simulate", "-w", "memset", "-s", "8K", "--plot", out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("stride", ["0x8000000000000000", "0xffffffffffffffff", "255T"])
def test_simulate_with_a_stride_past_the_range(cli, stride):
    """One access per sweep: the stride is never multiplied (2^63 overflowed int64)."""
    done = cli("simulate", "-w", "memset", "-s", "8K", "--stride", stride, "--kernel", "6.10",
               "--policy", "none")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
