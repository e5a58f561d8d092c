"""Exact audit of a decode predicate (``(w & MASK) == VALUE`` terms) against the table.

Everything here is set arithmetic on *cubes*: a cube ``(mask, value)`` is the
set of 32-bit words ``w`` with ``w & mask == value`` (2**(32 - popcount(mask))
words). A predicate becomes a list of pairwise disjoint cubes (``&``
intersects cube by cube; ``a - b`` splits only the cubes of ``a`` that ``b``
overlaps; ``!a`` is everything minus ``a``; a union adds each term's cubes
minus their overlap with the cubes already kept), so the words it accepts
inside any other cube are counted exactly by summing cube intersections — no
sampling.

The table's rows are cubes too, and overlapping rows nest (table.py), so the
words a row really classifies are its cube minus its *children* (the rows
whose nearest enclosing row it is), and those children are disjoint.

Predicates are written ``MASK:VALUE`` (hex or decimal), joined with ``|``,
``&``, ``!`` and parentheses (``!`` binds tightest, then ``&``, then ``|``),
or taken from a preset: the kernel's predicates in a64fault/policies.py,
translated from their Python source so the audit reads the very literals the
policy runs. Parentheses may nest MAX_DEPTH deep; a run of ``!`` may be any
length.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import policies
from .decoder.words import parse_int
from .errors import InputError
from .kinds import Kind
from .patterns import Table, default_table
from .word import WORD_BITS, WORD_ONES

FULL = WORD_ONES
#: A predicate that expands to more disjoint cubes than this is refused.
MAX_CUBES = 200_000
#: Parentheses nested deeper than this are refused (the parser recurses on them).
MAX_DEPTH = 100

Cube = tuple[int, int]


# ---- cube sets -------------------------------------------------------------

class CubeSet:
    """A set of 32-bit words as a list of pairwise disjoint cubes."""

    def __init__(self, cubes=()):
        self.cubes: list[Cube] = list(cubes)
        if len(self.cubes) > MAX_CUBES:
            raise InputError(f"predicate too complex: more than {MAX_CUBES} cubes")

    @classmethod
    def term(cls, mask: int, value: int) -> CubeSet:
        if value & ~mask:
            return cls()  # (w & mask) == value can never hold
        return cls([(mask, value)])

    @classmethod
    def everything(cls) -> CubeSet:
        return cls([(0, 0)])

    def size(self) -> int:
        return sum(1 << (WORD_BITS - bin(m).count("1")) for m, _ in self.cubes)

    def __and__(self, other: CubeSet) -> CubeSet:
        small, large = sorted((self, other), key=lambda s: len(s.cubes))
        if not small.cubes:
            return CubeSet()
        lm, lv = large.arrays()
        out: list[Cube] = []
        for m, v in small.cubes:
            hit = np.flatnonzero(((lv ^ np.uint64(v)) & lm & np.uint64(m)) == 0)
            out.extend(zip((lm[hit] | np.uint64(m)).tolist(), (lv[hit] | np.uint64(v)).tolist()))
            if len(out) > MAX_CUBES:
                break  # CubeSet() refuses it
        return CubeSet(out)

    def __invert__(self) -> CubeSet:
        return CubeSet.everything() - self

    def __sub__(self, other: CubeSet) -> CubeSet:
        """The words of self outside other: each cube loses only its overlap."""
        if not other.cubes or not self.cubes:
            return CubeSet(self.cubes)
        om, ov = other.arrays()
        out: list[Cube] = []
        for mask, value in self.cubes:
            out.extend(_minus(mask, value, om, ov, MAX_CUBES - len(out)))
        return CubeSet(out)

    def __or__(self, other: CubeSet) -> CubeSet:
        return CubeSet.union(self, other)

    @staticmethod
    def union(*sets: CubeSet) -> CubeSet:
        """The union of ``sets``: each cube loses its overlap with the cubes kept so far.

        Kept cubes live in growing numpy arrays, so a union of n terms costs
        about n vector passes, not a complement of the growing set per term.
        """
        if not sets:
            return CubeSet()
        # The first set's cubes are disjoint already: they are kept as they are.
        masks, values = sets[0].arrays()
        n = len(masks)
        for cube_set in sets[1:]:
            for mask, value in cube_set.cubes:
                pieces = _minus(mask, value, masks[:n], values[:n], MAX_CUBES - n)
                if n + len(pieces) > len(masks):
                    grow = max(len(masks), len(pieces), 64)
                    masks = np.concatenate([masks, np.zeros(grow, dtype=np.uint64)])
                    values = np.concatenate([values, np.zeros(grow, dtype=np.uint64)])
                for m, v in pieces:
                    masks[n], values[n] = m, v
                    n += 1
        return CubeSet(zip(masks[:n].tolist(), values[:n].tolist()))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        masks = np.array([m for m, _ in self.cubes], dtype=np.uint64)
        values = np.array([v for _, v in self.cubes], dtype=np.uint64)
        return masks, values


def _minus(mask: int, value: int, masks: np.ndarray, values: np.ndarray,
           room: int = MAX_CUBES) -> list[Cube]:
    """The cube (mask, value) minus the cubes (masks[i], values[i]), as disjoint cubes.

    Split the cube on one bit at a time (both halves keep only the cubes that
    still overlap them) until a half meets no cube (kept) or lies inside one
    (dropped). The bit comes from the overlapping cube with the fewest bits
    left to fix, so that cube swallows a half within a few splits.
    ``room``: more pieces than this is an InputError (predicate too complex).
    """
    out: list[Cube] = []
    stack = [(mask, value, masks, values)]
    while stack:
        m, v, cm, cv = stack.pop()
        keep = ((cv ^ np.uint64(v)) & cm & np.uint64(m)) == 0
        cm, cv = cm[keep], cv[keep]
        if not len(cm):
            out.append((m, v))
            if len(out) > room:
                raise InputError(f"predicate too complex: more than {MAX_CUBES} cubes")
            continue
        free = cm & np.uint64(~m & FULL)
        left = np.bitwise_count(free)
        nearest = int(np.argmin(left))
        if left[nearest] == 0:
            continue  # inside a cube: nothing of it is left
        bit = 1 << (int(free[nearest]).bit_length() - 1)
        stack.append((m | bit, v | bit, cm, cv))
        stack.append((m | bit, v, cm, cv))
    return out


def count_in(sets: CubeSet, masks: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per cube (masks[i], values[i]): how many of its words ``sets`` holds."""
    out = np.zeros(len(masks), dtype=np.int64)
    if not sets.cubes or not len(masks):
        return out
    sm, sv = sets.arrays()
    step = max(1, 4_000_000 // max(len(sm), 1))
    for start in range(0, len(masks), step):
        m = masks[start:start + step, None]
        v = values[start:start + step, None]
        common = m & sm[None, :]
        hit = ((v ^ sv[None, :]) & common) == 0
        free = WORD_BITS - np.bitwise_count(m | sm[None, :]).astype(np.int64)
        sizes = np.where(hit, np.left_shift(np.int64(1), free), 0)
        out[start:start + step] = sizes.sum(axis=1)
    return out


# ---- predicate text --------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<term>[0-9A-Fa-fxX_]+\s*:\s*[0-9A-Fa-fxX_]+)|(?P<op>[|&!()]))")


def _number(text: str, whole: str) -> int:
    """A mask or value of a term: 0x hex or decimal, at most 32 bits."""
    return parse_int(text, f"in predicate {whole!r}, number", bits=WORD_BITS)


def parse_predicate(text: str) -> CubeSet:
    """Parse ``MASK:VALUE`` terms joined with | & ! ( ) into a CubeSet."""
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InputError(f"cannot read predicate {text!r} at {text[pos:].strip()[:20]!r}")
        if m.group("term"):
            mask, value = (_number(p.strip(), text) for p in m.group("term").split(":"))
            tokens.append(("term", (mask, value)))
        else:
            tokens.append(("op", m.group("op")))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if not tokens:
        raise InputError("empty predicate")
    parser = _Parser(tokens, text)
    result = parser.union()
    if parser.pos != len(tokens):
        raise InputError(f"unexpected {tokens[parser.pos][1]!r} in predicate {text!r}")
    return result


class _Parser:
    """Recursive descent: union := inter ('|' inter)*; inter := unary ('&' unary)*."""

    def __init__(self, tokens, text):
        self.tokens, self.text, self.pos, self.depth = tokens, text, 0, 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def union(self) -> CubeSet:
        parts = [self.inter()]
        while self.peek() == ("op", "|"):
            self.pos += 1
            parts.append(self.inter())
        return parts[0] if len(parts) == 1 else CubeSet.union(*parts)

    def inter(self) -> CubeSet:
        result = self.unary()
        while self.peek() == ("op", "&"):
            self.pos += 1
            result = result & self.unary()
        return result

    def unary(self) -> CubeSet:
        # A run of '!' is counted, not recursed into: only its parity matters.
        negate = False
        while self.peek() == ("op", "!"):
            self.pos += 1
            negate = not negate
        kind, value = self.peek()
        if kind is None:
            raise InputError(f"predicate {self.text!r} ends too early")
        self.pos += 1
        if kind == "term":
            result = CubeSet.term(*value)
        elif value == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise InputError(f"predicate nests parentheses deeper than {MAX_DEPTH}")
            result = self.union()
            if self.peek() != ("op", ")"):
                raise InputError(f"missing ')' in predicate {self.text!r}")
            self.pos += 1
            self.depth -= 1
        else:
            raise InputError(f"unexpected {value!r} in predicate {self.text!r}")
        return ~result if negate else result


# ---- presets: the kernel predicates, read from policies.py -----------------

#: preset name -> function in a64fault.policies whose source is translated.
PRESETS = {
    "kernel-v5": "kernel_v5",
    "class_atomic": "kernel_v5_class_atomic",
    "has_wr_perm": "kernel_v5_has_wr_perm",
    "cas": "kernel_v5_cas",
    "casp": "kernel_v5_casp",
}


def preset(name: str) -> CubeSet:
    """The CubeSet of a preset predicate (see PRESETS)."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return _function_set(PRESETS[name])


def _function_set(function_name: str) -> CubeSet:
    """Translate a policies.py predicate ``def f(w): return <expr>`` into cubes.

    The expression may use ``(w & M) == V``, ``and``, ``or``, ``not`` and calls
    of other such functions of policies.py; anything else is refused.
    """
    function = getattr(policies, function_name)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    returns = [node for node in definition.body if isinstance(node, ast.Return)]
    if len(returns) != 1 or returns[0].value is None:
        raise InputError(f"policies.{function_name} is not a single-expression predicate")
    return _expr_set(returns[0].value, function_name)


def _expr_set(node: ast.AST, where: str) -> CubeSet:
    if isinstance(node, ast.BoolOp):
        parts = [_expr_set(v, where) for v in node.values]
        if isinstance(node.op, ast.Or):
            return CubeSet.union(*parts)
        result = parts[0]
        for part in parts[1:]:
            result = result & part
        return result
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_expr_set(node.operand, where)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _function_set(node.func.id)
    if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)
            and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.BitAnd)
            and isinstance(node.left.right, ast.Constant)
            and isinstance(node.comparators[0], ast.Constant)
            and isinstance(node.left.right.value, int)
            and isinstance(node.comparators[0].value, int)):
        return CubeSet.term(node.left.right.value, node.comparators[0].value)
    raise InputError(f"cannot translate {ast.unparse(node)!r} in policies.{where}")


# ---- the table's regions ---------------------------------------------------

@dataclass
class Regions:
    """Per row: its cube and its children's cubes (the words it does not classify)."""

    masks: np.ndarray
    values: np.ndarray
    children: list[list[int]]
    sizes: list[int]


def table_regions(table: Table) -> Regions:
    """Each row's nearest enclosing row gives the children of every row."""
    rows = table.rows
    masks = np.array([r.mask for r in rows], dtype=np.uint64)
    values = np.array([r.value for r in rows], dtype=np.uint64)
    children: list[list[int]] = [[] for _ in rows]
    for code, row in enumerate(rows):
        # Rows containing this one: fewer fixed bits, all of them fixed here alike.
        contains = ((masks & np.uint64(row.mask)) == masks) & (
            (np.uint64(row.value) & masks) == values) & (
            np.bitwise_count(masks) < row.specificity)
        parents = np.flatnonzero(contains)
        if len(parents):
            # rows are most specific first: the lowest code is the nearest.
            children[int(parents[0])].append(code)
    sizes = []
    for code, row in enumerate(rows):
        own = 1 << (WORD_BITS - row.specificity)
        sizes.append(own - sum(1 << (WORD_BITS - rows[c].specificity) for c in children[code]))
    return Regions(masks, values, children, sizes)


def region_counts(regions: Regions, sets: CubeSet) -> list[int]:
    """Per row: how many words of its region (cube minus children) ``sets`` holds."""
    in_cube = count_in(sets, regions.masks, regions.values).tolist()
    return [in_cube[code] - sum(in_cube[c] for c in kids)
            for code, kids in enumerate(regions.children)]


# ---- the audit -------------------------------------------------------------

@dataclass
class FormResult:
    form: str
    kind: Kind
    #: The features of the form's rows (None: the Armv8.0 base), each once.
    features: list[str | None] = field(default_factory=list)
    total: int = 0
    matched: int = 0
    false_positive_words: int = 0
    false_negative_words: int = 0

    @property
    def feature(self) -> str | None:
        """The form's feature; several joined with "," (e.g. ``SVE,SVE2p1``) when
        its rows differ; None when all of them are the Armv8.0 base."""
        if self.features == [None]:
            return None
        names = sorted(self.features, key=lambda f: (f is not None, f or ""))
        return ",".join("base" if f is None else f for f in names)

    @property
    def status(self) -> str:
        if self.matched == 0:
            return "excluded"
        return "full" if self.matched == self.total else "partial"

    def as_json(self) -> dict:
        return {"form": self.form, "kind": self.kind.value, "feature": self.feature,
                "total": self.total, "matched": self.matched,
                "false_positive_words": self.false_positive_words,
                "false_negative_words": self.false_negative_words}


@dataclass
class AuditResult:
    predicate: str
    against: str | None
    matched: int
    unallocated_matched: int
    forms: list[FormResult] = field(default_factory=list)

    @property
    def false_positives(self) -> list[str]:
        return [f.form for f in self.forms if f.false_positive_words]

    @property
    def false_negatives(self) -> list[str]:
        return [f.form for f in self.forms if f.false_negative_words]

    def form(self, name: str) -> FormResult:
        for f in self.forms:
            if f.form == name:
                return f
        raise KeyError(name)

    def as_json(self) -> dict:
        return {
            "predicate": self.predicate,
            "against": self.against,
            "matched": self.matched,
            "unallocated_matched": self.unallocated_matched,
            "fully_matched": [f.form for f in self.forms if f.status == "full"],
            "partly_matched": [f.form for f in self.forms if f.status == "partial"],
            "false_positives": self.false_positives if self.against else None,
            "false_negatives": self.false_negatives if self.against else None,
            "forms": [f.as_json() for f in self.forms],
        }


def audit(predicate: CubeSet, *, against: str | None = None, table: Table | None = None,
          label: str = "") -> AuditResult:
    """Count, per form, the encodings ``predicate`` accepts; compare with a policy.

    ``against`` is a policy name: a kind-based policy accepts whole rows by
    kind, ``kernel-v5`` is its own predicate (translated from policies.py).
    Words outside every row, or in a row of kind ``other`` (the table's
    UNALLOCATED carve-outs), belong to no memory form: they are counted as
    ``unallocated_matched``, and against any policy they are false positives.
    """
    table = table if table is not None else default_table()
    regions = table_regions(table)
    matched = region_counts(regions, predicate)
    by_form: dict[str, FormResult] = {}
    # Rows of kind `other` (the table's UNALLOCATED carve-outs) are not memory
    # forms: their words count with those of no row as unallocated.
    in_other = 0
    for code, row in enumerate(table.rows):
        if row.kind is Kind.OTHER:
            in_other += matched[code]
            continue
        result = by_form.get(row.form)
        if result is None:
            result = by_form[row.form] = FormResult(row.form, row.kind)
        if row.feature not in result.features:
            result.features.append(row.feature)
        result.total += regions.sizes[code]
        result.matched += matched[code]

    if against is not None:
        policies.check_policy(against)
        if against in policies.POLICY_KINDS:
            kinds = policies.POLICY_KINDS[against]
            for code, row in enumerate(table.rows):
                result = by_form.get(row.form)
                if result is None:
                    continue
                if row.kind in kinds:
                    result.false_negative_words += regions.sizes[code] - matched[code]
                else:
                    result.false_positive_words += matched[code]
        else:
            reference = preset(against)
            fp = region_counts(regions, predicate & ~reference)
            fn = region_counts(regions, reference & ~predicate)
            for code, row in enumerate(table.rows):
                if row.form in by_form and row.kind is not Kind.OTHER:
                    by_form[row.form].false_positive_words += fp[code]
                    by_form[row.form].false_negative_words += fn[code]

    total_matched = predicate.size()
    forms = [by_form[name] for name in table.forms if name in by_form]
    unallocated = total_matched - sum(matched) + in_other
    return AuditResult(label, against, total_matched, unallocated, forms)
