"""decide(): docs/design.md, "The decision", one rule per test; words from LLVM's assembler.

ESR values are written from the architecture's field layout: EC 0x24 (data
abort, lower EL) with IL=1 is 0x92000000, EC 0x25 (same EL) 0x96000000, EC
0x20 (instruction abort, lower EL) 0x82000000; WnR is bit 6, CM bit 8; DFSC
0b000111 is a level-3 translation fault, 0b001111 a level-3 permission fault.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from a64fault import Kind, classify, decide, upgrades
from a64fault.errors import InputError
from a64fault.policies import POLICIES, POLICY_KINDS, kernel_v5
from tests.asm import assemble

READ_TRANSLATION = 0x92000007
WRITE_TRANSLATION = 0x92000047
WRITE_PERMISSION = 0x9200004F
CM_TRANSLATION = 0x92000147
SAME_EL_READ = 0x96000007
INSTRUCTION_ABORT = 0x82000007
SVC = 0x56000000

LINES = ("stadd w0, [x0]", "ldxr x0, [x1]", "ldr x0, [x1]", "dc civac, x0", "cas x0, x1, [x2]")


@pytest.fixture(scope="module")
def w():
    return dict(zip(LINES, assemble(*LINES)))


def test_seed_double_fault_upgraded(w):
    d = decide(w["stadd w0, [x0]"], READ_TRANSLATION)
    assert (d.reported, d.effective, d.upgraded, d.policy) == ("read", "write", True, "atomic")
    assert "translation" in d.reason and "assumed writable" in d.reason
    assert d.reason[0].isupper() and d.reason.endswith(".")


def test_policy_none_keeps_the_read(w):
    d = decide(w["stadd w0, [x0]"], READ_TRANSLATION, policy="none")
    assert (d.reported, d.effective, d.upgraded) == ("read", "read", False)


def test_write_fault_stays_write(w):
    d = decide(w["stadd w0, [x0]"], WRITE_PERMISSION)
    assert (d.reported, d.effective, d.upgraded) == ("write", "write", False)


def test_instruction_abort_is_exec_never_upgraded(w):
    d = decide(w["stadd w0, [x0]"], INSTRUCTION_ABORT)
    assert (d.reported, d.effective, d.upgraded) == ("exec", "exec", False)


def test_cache_maintenance_is_a_read(w):
    """CM=1 reports WnR=1 but is a read for the mm; DC CIVAC is not upgraded."""
    d = decide(w["dc civac, x0"], CM_TRANSLATION)
    assert (d.reported, d.effective, d.upgraded) == ("read", "read", False)
    assert "CM=1" in d.reason


@pytest.mark.parametrize("context", [dict(el=1), dict(aarch32=True), dict(vma_writable=False)])
def test_context_blocks_upgrade(w, context):
    d = decide(w["stadd w0, [x0]"], READ_TRANSLATION, **context)
    assert (d.reported, d.effective, d.upgraded) == ("read", "read", False)


def test_same_el_esr_blocks_upgrade(w):
    assert not decide(w["stadd w0, [x0]"], SAME_EL_READ).upgraded


def test_known_writable_vma_is_said(w):
    d = decide(w["cas x0, x1, [x2]"], READ_TRANSLATION, vma_writable=True)
    assert d.upgraded and "VMA is writable" in d.reason


def test_no_esr_means_read_data_abort(w):
    d = decide(w["stadd w0, [x0]"])
    assert d.reported == "read" and d.upgraded and "No ESR" in d.reason


@pytest.mark.parametrize("policy,upgraded", [("none", False), ("kernel-v5", False),
                                             ("atomic", False), ("atomic+exclusive", True)])
def test_ldxr_per_policy(w, policy, upgraded):
    assert decide(w["ldxr x0, [x1]"], READ_TRANSLATION, policy=policy).upgraded is upgraded


def test_plain_load_never_upgraded(w):
    for policy in POLICIES:
        assert not decide(w["ldr x0, [x1]"], READ_TRANSLATION, policy=policy).upgraded


def test_non_abort_esr_is_an_input_error(w):
    with pytest.raises(InputError, match="not an abort"):
        decide(w["stadd w0, [x0]"], SVC)


@pytest.mark.parametrize("bad", [dict(policy="sometimes"), dict(el=7)])
def test_bad_arguments(w, bad):
    with pytest.raises(InputError):
        decide(w["stadd w0, [x0]"], READ_TRANSLATION, **bad)


def test_to_dict_keys(w):
    assert set(decide(w["stadd w0, [x0]"]).to_dict()) == {
        "reported", "effective", "upgraded", "policy", "reason"}


@settings(max_examples=3000, deadline=None)
@given(word=st.integers(0, 2**32 - 1), policy=st.sampled_from(POLICIES),
       el=st.sampled_from([0, 1]), writable=st.sampled_from([None, True, False]))
def test_decide_consistent_with_classify(word, policy, el, writable):
    c = classify(word)  # never raises for a 32-bit word
    accepted = kernel_v5(word) if policy == "kernel-v5" else c.kind in POLICY_KINDS[policy]
    d = decide(word, READ_TRANSLATION, el=el, vma_writable=writable, policy=policy)
    assert d.upgraded == (accepted and el == 0 and writable is not False)
    assert d.effective == ("write" if d.upgraded else "read")
    assert upgrades(word, policy) == accepted
    assert c.writes == c.kind.writes
    assert (c.form is None) == (c.kind is Kind.OTHER and c.row is None)
    w_fault = decide(word, WRITE_TRANSLATION, el=el, vma_writable=writable, policy=policy)
    assert (w_fault.effective, w_fault.upgraded) == ("write", False)
