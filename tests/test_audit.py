"""The audit's exact counts: cube algebra vs enumeration, and the kernel-v5 findings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from a64fault import policies
from a64fault.audit import PRESETS, CubeSet, audit, parse_predicate, preset, table_regions
from a64fault.errors import InputError
from a64fault.patterns import Table, read_rows
from tests.cli import run_in_process

# ---- cube algebra against enumeration over a 12-bit universe ---------------
# Every random cube fixes the top 20 bits to HIGH, so each set lives in the
# 4096 words HIGH..HIGH+4095 and can be counted by enumerating them.
LOW_BITS = 12
HIGH = np.uint32(0x5 << 28)  # an arbitrary prefix, any value would do
TOP = ~np.uint32((1 << LOW_BITS) - 1)
UNIVERSE = HIGH | np.arange(1 << LOW_BITS, dtype=np.uint32)


def random_term(rng):
    low_mask = int(rng.integers(0, 1 << LOW_BITS))
    low_value = int(rng.integers(0, 1 << LOW_BITS)) & low_mask
    return int(TOP) | low_mask, int(HIGH) | low_value


def random_expr(rng, depth=0):
    """(text, numpy boolean over UNIVERSE) of a random predicate."""
    choice = rng.integers(0, 4) if depth < 3 else 0
    if choice == 0:
        m, v = random_term(rng)
        return f"{m:#x}:{v:#x}", (UNIVERSE & np.uint32(m)) == np.uint32(v)
    if choice == 1:
        text, hit = random_expr(rng, depth + 1)
        return f"!({text})", ~hit
    (a, ha), (b, hb) = random_expr(rng, depth + 1), random_expr(rng, depth + 1)
    if choice == 2:
        return f"({a}) & ({b})", ha & hb
    return f"({a}) | ({b})", ha | hb


def in_universe(cubes: CubeSet) -> CubeSet:
    return cubes & CubeSet.term(int(TOP), int(HIGH))


def test_cube_algebra_counts_match_enumeration():
    rng = np.random.default_rng(20)
    for _ in range(200):
        text, hit = random_expr(rng)
        cubes = in_universe(parse_predicate(text))
        assert cubes.size() == int(hit.sum()), text
        # Disjointness: membership counted per cube never exceeds one.
        masks, values = cubes.arrays()
        if len(masks):
            per_word = ((UNIVERSE[:, None].astype(np.uint64) & masks) == values).sum(axis=1)
            assert per_word.max() <= 1


def test_precedence_and_parentheses():
    a, b, c = "0xf0000000:0x10000000", "0x0f000000:0x01000000", "0x00f00000:0x00100000"
    assert parse_predicate(f"{a} | {b} & {c}").size() == parse_predicate(f"{a} | ({b} & {c})").size()
    assert parse_predicate(f"{a} | {b} & {c}").size() != parse_predicate(f"({a} | {b}) & {c}").size()
    assert parse_predicate(f"!{a}").size() == (1 << 32) - parse_predicate(a).size()
    assert parse_predicate("0:0").size() == 1 << 32
    assert parse_predicate("0x1:0x2").size() == 0  # value outside mask: never true


@pytest.mark.parametrize("bad", ["", "0x1", "0x1:0x1 |", "(0x1:0x1", "0x1:0x1 0x2:0x2",
                                 "0x1:0x1 )", "zz:1", "0x100000000:0", "&0x1:1"])
def test_bad_predicates_raise_input_error(bad):
    with pytest.raises(InputError):
        parse_predicate(bad)


# ---- table regions and per-form counts against enumeration ----------------

def synthetic_rows_text():
    """Nested rows inside the universe (each fixes the top 20 bits)."""
    base = "0101 0000 0000 0000 0000"  # bits 31:12 = HIGH's top nibble 0101, rest 0
    assert int(base.replace(" ", ""), 2) << LOW_BITS == int(HIGH)
    return f"""
OUTER | {base} a:4 b:4 c:4                 | load  | - | -
MID   | {base} 1010 b:4 c:4               | store | - | -
INNER | {base} 1010 0110 c:4              | atomic-rmw | X | -
SIDE  | {base} 0011 b:4 1 c:3            | compare-and-swap | Y | -
MIDB  | {base} 1010 1 b:3 0 c:3           | prefetch | - | -
HOLE  | {base} 0011 b:4 0 c:3            | other | - | -
"""


def test_form_counts_match_enumeration():
    rng = np.random.default_rng(21)
    table = Table(read_rows(synthetic_rows_text()))
    # Most specific matching row per universe word, by testing every row.
    winner = np.full(len(UNIVERSE), -1)
    for code in range(len(table.rows) - 1, -1, -1):
        row = table.rows[code]
        winner[(UNIVERSE & np.uint32(row.mask)) == np.uint32(row.value)] = code
    regions = table_regions(table)
    for code in range(len(table.rows)):
        assert regions.sizes[code] == int((winner == code).sum())
    for _ in range(50):
        text, hit = random_expr(rng)
        cubes = in_universe(parse_predicate(text))
        result = audit(cubes, against="atomic", table=table)
        unallocated = hit & (winner == -1)
        for code, row in enumerate(table.rows):
            if row.kind.value == "other":  # not a memory form: counted as unallocated
                unallocated |= hit & (winner == code)
                assert row.form not in [f.form for f in result.forms]
                continue
            form = result.form(row.form)
            assert form.total == int((winner == code).sum())
            assert form.matched == int((hit & (winner == code)).sum()), text
            accepted = row.kind.value in ("atomic-rmw", "compare-and-swap")
            if accepted:
                assert form.false_negative_words == int((~hit & (winner == code)).sum())
            else:
                assert form.false_positive_words == form.matched
        assert result.unallocated_matched == int(unallocated.sum())


def test_presets_are_the_policy_functions():
    """A preset's cubes, the predicate object called per word and its compiled
    function (what upgrades() runs) agree word for word."""
    words = np.random.default_rng(22).integers(0, 1 << 32, 50_000, dtype=np.uint32)
    # Bias half the sample into the atomic space so both answers occur often.
    words[::2] = (words[::2] & np.uint32(0x00FFFFFF)) | np.uint32(0x38000000)
    for name, function in (("kernel-v5", policies.kernel_v5),
                           ("class_atomic", policies.kernel_v5_class_atomic)):
        masks, values = preset(name).arrays()
        inside = ((words[:, None].astype(np.uint64) & masks) == values).any(axis=1)
        expected = np.array([function(w) for w in words.tolist()])
        compiled = function.function()
        assert np.array_equal(inside, expected)
        assert expected.tolist() == [compiled(w) for w in words.tolist()]
        assert expected.any() and not expected.all()


def test_a_preset_printed_in_the_predicate_syntax_reads_back_as_the_same_set():
    for name in ("kernel-v5", "has_wr_perm"):
        printed = parse_predicate(str(PRESETS[name]))
        original = preset(name)
        assert printed.size() == original.size() > 0
        assert (printed - original).size() == 0 == (original - printed).size()


# ---- the kernel-v5 findings the README states (real table, via the CLI) ----

def run_audit(*args):
    return run_in_process(*args)


@pytest.fixture(scope="module")
def v5():
    done = run_audit("audit", "--preset", "kernel-v5", "--against", "atomic", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def forms_of(report):
    return {f["form"]: f for f in report["forms"]}


def test_v5_false_positives_are_st64bv(v5):
    assert sorted(v5["false_positives"]) == ["ST64BV", "ST64BV0"]


def test_v5_matches_rcw_single_forms(v5):
    forms = forms_of(v5)
    for name in ("RCWCLR", "RCWSET", "RCWSWP", "RCWSCLR", "RCWSSET", "RCWSSWP"):
        assert forms[name]["matched"] == forms[name]["total"] > 0, name
        assert name not in v5["false_positives"] and name not in v5["false_negatives"]


def test_v5_excludes_ldapr_ld64b_st64b(v5):
    forms = forms_of(v5)
    for name in ("LDAPR", "LD64B", "ST64B"):
        assert forms[name]["matched"] == 0 and forms[name]["total"] > 0, name


def test_v5_covers_cas_casp_and_lse(v5):
    forms = forms_of(v5)
    for name in ("CAS", "CASP", "LDADD", "LDCLR", "LDEOR", "LDSET", "LDSMAX", "LDSMIN",
                 "LDUMAX", "LDUMIN", "SWP"):
        assert forms[name]["matched"] == forms[name]["total"] > 0, name


def test_v5_false_negatives(v5):
    missed = set(v5["false_negatives"])
    expected = {"LDCLRP", "LDSETP", "SWPP",                                   # LSE128
                "RCWCLRP", "RCWSETP", "RCWSWPP", "RCWSCLRP", "RCWSSETP", "RCWSSWPP",
                "RCWCAS", "RCWCASP", "RCWSCAS", "RCWSCASP",                   # THE
                "LDTADD", "LDTCLR", "LDTSET", "SWPT", "CAST", "CASPT",       # LSUI
                "LDFADD", "STFADD", "LDBFADD", "STBFADD"}                    # LSFE
    assert expected <= missed
    forms = forms_of(v5)
    for name in expected:
        assert forms[name]["matched"] == 0
    # every false negative is an atomic the policy wanted
    assert {forms[n]["kind"] for n in missed} <= {"atomic-rmw", "compare-and-swap"}


def test_class_atomic_false_positives():
    done = run_audit("audit", "--preset", "class_atomic", "--against", "atomic", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"LDAPR", "LD64B"} <= set(report["false_positives"])
    assert report["unallocated_matched"] > 0


def test_text_output_and_usage_errors():
    done = run_audit("audit", "--preset", "kernel-v5", "--against", "atomic")
    assert done.returncode == 0 and "ST64BV0" in done.stdout and "false negatives" in done.stdout
    for args in (["audit"], ["audit", "0x1:"], ["audit", "--preset", "nope"],
                 ["audit", "--preset", "cas", "0x1:0x1"], ["audit", "--against", "x", "0:0"]):
        done = run_audit(*args)
        assert done.returncode == 2, args
        assert done.stderr.startswith("a64fault: error:") and done.stderr.count("\n") == 1, args


# ---- review fixes: nesting, union speed, features of a form ----------------

def test_long_runs_of_not_are_fine_deep_parentheses_are_refused():
    assert parse_predicate("!" * 5000 + "0:0").size() == 1 << 32
    assert parse_predicate("!" * 5001 + "0:0").size() == 0
    assert parse_predicate("(" * 100 + "!0x1:0x1" + ")" * 100).size() == 1 << 31
    for text in ("(" * 101 + "0:0" + ")" * 101, "!(" * 3000 + "0:0" + ")" * 3000):
        with pytest.raises(InputError, match="deeper than 100"):
            parse_predicate(text)


def test_deep_predicates_via_cli():
    done = run_audit("audit", "--json", "!" * 5001 + "0:0")  # was a RecursionError
    assert done.returncode == 0, done.stderr[-300:]
    assert json.loads(done.stdout)["matched"] == 0
    for text in ("(" * 3000 + "0:0" + ")" * 3000, "!(" * 3000 + "0:0" + ")" * 3000):
        done = run_audit("audit", text)
        assert done.returncode == 2, done.stderr[-300:]
        assert done.stderr.startswith("a64fault: error:") and done.stderr.count("\n") == 1
        assert "deeper than 100" in done.stderr


def sparse_term(rng):
    """A term fixing about 10 of the 12 low bits: 2000 of them cover part of the universe."""
    low_mask = int(rng.integers(0, 1 << LOW_BITS) | rng.integers(0, 1 << LOW_BITS)
                   | rng.integers(0, 1 << LOW_BITS))
    return int(TOP) | low_mask, int(HIGH) | (int(rng.integers(0, 1 << LOW_BITS)) & low_mask)


@pytest.mark.parametrize("make_term", [sparse_term, random_term])
def test_union_of_2000_terms_is_exact(make_term):
    """(Its speed is measured by bench/bench_speed.py, not asserted here.)"""
    rng = np.random.default_rng(23)
    terms = [make_term(rng) for _ in range(2000)]
    text = " | ".join(f"{m:#x}:{v:#x}" for m, v in terms)
    cubes = parse_predicate(text)
    hit = np.zeros(len(UNIVERSE), dtype=bool)
    for m, v in terms:
        hit |= (UNIVERSE & np.uint32(m)) == np.uint32(v)
    assert cubes.size() == int(hit.sum())
    assert 0 < hit.sum() < len(UNIVERSE) or make_term is random_term
    masks, values = cubes.arrays()
    per_word = ((UNIVERSE[:, None].astype(np.uint64) & masks) == values).sum(axis=1)
    assert np.array_equal(per_word, hit.astype(int))  # disjoint, and exactly the words


def test_difference_and_complement_match_enumeration():
    rng = np.random.default_rng(24)
    for _ in range(100):
        (a, ha), (b, hb) = random_expr(rng), random_expr(rng)
        sa, sb = in_universe(parse_predicate(a)), in_universe(parse_predicate(b))
        assert (sa - sb).size() == int((ha & ~hb).sum())
        assert in_universe(~sa).size() == int((~ha).sum())
        assert CubeSet.union(sa, sb, sa).size() == int((ha | hb).sum())


def test_too_many_cubes_is_an_input_error_not_a_hang(monkeypatch):
    import a64fault.cubes

    monkeypatch.setattr(a64fault.cubes, "MAX_CUBES", 20_000)  # the same path, sooner
    rng = np.random.default_rng(25)
    text = " | ".join(f"{int(rng.integers(0, 1 << 32)) & int(rng.integers(0, 1 << 32)):#x}:0"
                      for _ in range(200))
    with pytest.raises(InputError, match="too complex"):
        parse_predicate(text)


def test_a_form_with_rows_of_two_features_reports_both():
    table = Table(read_rows(synthetic_rows_text() + """
SPLIT | 0101 0000 0000 0000 0000 0011 0000 0 c:3 | load | P | -
SPLIT | 0101 0000 0000 0000 0000 0011 0001 0 c:3 | load | - | -
"""))
    result = audit(in_universe(CubeSet.everything()), table=table)
    assert result.form("SPLIT").feature == "base,P"
    assert result.form("SPLIT").total == 16
    assert result.form("INNER").feature == "X" and result.form("OUTER").feature is None


def test_real_sve_forms_report_sve_and_sve2p1():
    done = run_audit("audit", "--against", "none", "--json", "0:0")
    assert done.returncode == 0, done.stderr
    forms = forms_of(json.loads(done.stdout))
    for name in ("LD1D (scalar plus scalar)", "LD1W (scalar plus immediate)",
                 "ST1W (scalar plus scalar)", "ST1D (scalar plus immediate)"):
        assert forms[name]["feature"] == "SVE,SVE2p1", name
    assert forms["LDADD"]["feature"] == "LSE" and forms["LDR (literal)"]["feature"] is None
    text = run_audit("audit", "--against", "none", "0:0").stdout
    line = next(x for x in text.splitlines() if x.strip().startswith("LD1W (scalar plus scalar)"))
    assert "SVE,SVE2p1" in line
