"""Reads the pattern table: rows written as bit diagrams, turned into Row objects.

A row is five or six columns separated by ``|``::

    FORM | DIAGRAM | KIND | FEATURE | BYTES [| UNPREDICTABLE]

FORM is the instruction form's name (several rows may share one: a form can
have several encodings). DIAGRAM lists the 32 bits from bit 31 down to bit 0
as whitespace-separated tokens, as the Arm ARM draws them:

* ``0110``        opcode bits: they take part in matching;
* ``(0)``/``(11111)`` should-be bits: recorded, never matched (a word that
  differs there is CONSTRAINED UNPREDICTABLE and, if it faulted, executed);
* ``Rt:5``        a named free field of that width; a bare name (``A``) is a
  one-bit free field;
* ``Rs=11111``    a named opcode field with fixed bits (``x`` marks a free bit
  inside it, as in ``opc=1x``);
* ``Rs=(11111)``  a named should-be field;
* ``Rt!=11111``   a named free field with a constraint: a word whose field
  matches the pattern is not this form (the Arm ARM's decode makes it
  UNDEFINED). Several patterns are joined with ``,`` (``Rt!=11xxx,xxxx1``:
  not 11xxx and not xxxx1); ``x`` is any bit. The reader derives, for each
  such row, nested ``UNALLOCATED`` rows of kind ``other`` covering exactly
  the excluded words (made pairwise disjoint), so every compiled form of
  the table (index, vector tables, audit) sees them as rows.

KIND is a kind string (docs/design.md, "Kinds"); FEATURE is an Arm feature name (``LSE``) or
``-`` for the Armv8.0 base; BYTES is the number of bytes accessed: an integer,
``N<<field`` (e.g. ``1<<size``), or ``-`` where it is not fixed by the
encoding. ``#`` starts a comment.

UNPREDICTABLE, optional, lists the register rules the Arm ARM's decode makes
CONSTRAINED UNPREDICTABLE. A rule is one or more comparisons joined by ``&``
(all must hold); several rules are joined by ``,`` (any one may hold), so
``,`` binds looser than ``&`` and no parentheses are needed. A comparison is
``F==G`` or ``F!=G`` with F a field and G another field or a pattern of F's
width (``0``/``1``, ``x`` any bit)::

    Rt==Rt2                                      # LDP: t == t2
    Rt==Rn&Rn!=11111                             # LDR (post-index): wback && n == t && n != 31
    Rt==Rn&Rn!=11111, Rt2==Rn&Rn!=11111          # STP: wback && (t == n || t2 == n) && n != 31
    W==1&Rt==Rn&Rn!=11111                        # LDRAA: wback (W == '1') && n == t && n != 31

A word breaking a rule is still classified as the form (a word that faulted
was executed) and ``Row.unpredictable(word)`` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..kinds import Kind
from ..word import WORD_BITS

_OPCODE = re.compile(r"[01]+")
_SHOULD_BE = re.compile(r"\(([01]+)\)")
_FREE_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9_]*)(?::(\d+))?")
_FIXED_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=(\(?)([01x]+)(\)?)")
_BYTES_SHIFT = re.compile(r"(\d+)<<([A-Za-z][A-Za-z0-9_]*)")
_COMPARISON = re.compile(r"([A-Za-z][A-Za-z0-9_]*)(==|!=)([A-Za-z0-9_]+)")
_NOT_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9_]*)!=([01x]+(?:,[01x]+)*)")
#: Form name of the rows derived from field constraints (words no form has).
UNALLOCATED = "UNALLOCATED"


class TableError(ValueError):
    """A row of the pattern table is malformed or conflicts with another."""


@dataclass(frozen=True)
class Field:
    """A named bit field of a row: its lowest bit and its width."""

    name: str
    lsb: int
    width: int

    def extract(self, word: int) -> int:
        return (word >> self.lsb) & ((1 << self.width) - 1)

    def insert(self, word: int, value: int) -> int:
        """``word`` with this field set to ``value``; ValueError if it does not fit."""
        if not 0 <= value < 1 << self.width:
            raise ValueError(f"{value} does not fit the {self.width}-bit field {self.name}")
        return word & ~(((1 << self.width) - 1) << self.lsb) | value << self.lsb


@dataclass(frozen=True)
class Comparison:
    """One comparison of a register rule: field ``name`` equal (``equal``) or not
    to the field ``other``, or, when ``other`` is None, to the pattern whose
    fixed bits are ``mask``/``value`` (field-relative)."""

    name: str
    equal: bool
    other: str | None = None
    mask: int = 0
    value: int = 0

    def holds(self, fields: dict[str, Field], word: int) -> bool:
        mine = fields[self.name].extract(word)
        if self.other is not None:
            same = mine == fields[self.other].extract(word)
        else:
            same = mine & self.mask == self.value
        return same == self.equal


@dataclass(frozen=True)
class Row:
    """One encoding of one form, with its matching mask/value derived from the diagram."""

    form: str
    kind: Kind
    feature: str | None
    mask: int
    value: int
    should_be_mask: int
    should_be_value: int
    fields: dict[str, Field] = field(hash=False, compare=False)
    bytes_spec: str = "-"
    diagram: str = ""
    line: int = 0
    #: (mask, value) cubes of the words a field constraint (``Rt!=11111``) takes
    #: out of this row; each covers only the constrained field's bits.
    excluded: tuple[tuple[int, int], ...] = ()
    #: CONSTRAINED UNPREDICTABLE register rules: each a conjunction of comparisons;
    #: a word breaks the row's rules when every comparison of one rule holds.
    unpredictable_when: tuple[tuple[Comparison, ...], ...] = ()

    @property
    def specificity(self) -> int:
        """Number of opcode bits fixed: the larger, the more specific the row."""
        return bin(self.mask).count("1")

    @property
    def writes(self) -> bool:
        return self.kind.writes

    def matches(self, word: int) -> bool:
        """Whether the row's opcode bits match ``word`` (should-be bits aside)."""
        return word & self.mask == self.value

    def unpredictable(self, word: int) -> bool:
        """Whether ``word`` breaks a register rule of this row that the Arm ARM makes
        CONSTRAINED UNPREDICTABLE (see the UNPREDICTABLE column)."""
        return any(all(c.holds(self.fields, word) for c in rule) for rule in self.unpredictable_when)

    def access_size(self, word: int) -> int | None:
        """Bytes accessed by ``word`` under this row, or None where not fixed."""
        spec = self.bytes_spec
        if spec == "-":
            return None
        if spec.isdigit():
            return int(spec)
        match = _BYTES_SHIFT.fullmatch(spec)
        assert match is not None  # checked when the row was read
        base, name = match.groups()
        return int(base) << self.fields[name].extract(word)


def parse_diagram(diagram: str, where: str = ""
                  ) -> tuple[int, int, int, int, dict[str, Field], tuple[tuple[int, int], ...]]:
    """Turn a bit diagram into (mask, value, should_be_mask, should_be_value, fields,
    excluded): ``excluded`` lists the (mask, value) cubes of the field constraints."""
    bits: list[tuple[str, str | None]] = []  # per bit, MSB first: (role, name)
    values: list[str] = []
    fields: dict[str, tuple[int, int]] = {}  # name -> (start index, width)
    constraints: list[tuple[str, str]] = []  # (field name, excluded pattern)

    def add(role: str, name: str | None, text: str) -> None:
        if name is not None:
            if name in fields:
                raise TableError(f"{where}field {name!r} named twice")
            fields[name] = (len(bits), len(text))
        for ch in text:
            bits.append((role, name))
            values.append(ch)

    for token in diagram.split():
        if _OPCODE.fullmatch(token):
            add("opcode", None, token)
        elif m := _SHOULD_BE.fullmatch(token):
            add("should-be", None, m.group(1))
        elif m := _FIXED_FIELD.fullmatch(token):
            name, open_paren, text, close_paren = m.groups()
            if bool(open_paren) != bool(close_paren):
                raise TableError(f"{where}unbalanced parenthesis in {token!r}")
            if open_paren and "x" in text:
                raise TableError(f"{where}should-be field {token!r} cannot have free bits")
            add("should-be" if open_paren else "opcode", name, text)
        elif m := _NOT_FIELD.fullmatch(token):
            name, patterns = m.group(1), m.group(2).split(",")
            if len({len(p) for p in patterns}) != 1:
                raise TableError(f"{where}patterns of {token!r} differ in width")
            add("free", name, "x" * len(patterns[0]))
            constraints += [(name, p) for p in patterns]
        elif m := _FREE_FIELD.fullmatch(token):
            name, width = m.group(1), int(m.group(2) or 1)
            if width < 1:
                raise TableError(f"{where}field {token!r} has no width")
            add("free", name, "x" * width)
        else:
            raise TableError(f"{where}cannot read diagram token {token!r}")

    if len(bits) != WORD_BITS:
        raise TableError(f"{where}diagram has {len(bits)} bits, not {WORD_BITS}")

    mask = value = sb_mask = sb_value = 0
    for index, ((role, _), ch) in enumerate(zip(bits, values)):
        bit = 1 << (WORD_BITS - 1 - index)
        if ch == "x":
            continue
        if role == "opcode":
            mask |= bit
            value |= bit if ch == "1" else 0
        elif role == "should-be":
            sb_mask |= bit
            sb_value |= bit if ch == "1" else 0
    named = {
        name: Field(name, WORD_BITS - start - width, width) for name, (start, width) in fields.items()
    }
    excluded = []
    for name, pattern in constraints:
        lsb = named[name].lsb
        cube_mask = cube_value = 0
        for index, ch in enumerate(reversed(pattern)):
            if ch != "x":
                cube_mask |= 1 << (lsb + index)
                cube_value |= (ch == "1") << (lsb + index)
        excluded.append((cube_mask, cube_value))
    return mask, value, sb_mask, sb_value, named, tuple(excluded)


def parse_rule(text: str, fields: dict[str, Field], where: str = "") -> tuple[Comparison, ...]:
    """Parse one CONSTRAINED UNPREDICTABLE rule (``Rt==Rn&Rn!=11111``) against a
    row's fields: its comparisons, all of which must hold."""
    comparisons = []
    for term in text.split("&"):
        m = _COMPARISON.fullmatch(term.strip())
        if not m or m.group(1) not in fields:
            raise TableError(f"{where}cannot read register rule {text.strip()!r}")
        name, operator, other = m.groups()
        equal = operator == "=="
        if other in fields:
            if other == name or fields[other].width != fields[name].width:
                raise TableError(f"{where}register rule {text.strip()!r} compares {name} with {other}")
            comparisons.append(Comparison(name, equal, other))
        elif set(other) <= set("01x") and len(other) == fields[name].width:
            mask = int(other.replace("0", "1").replace("x", "0"), 2)
            comparisons.append(Comparison(name, equal, None, mask, int(other.replace("x", "0"), 2)))
        else:
            raise TableError(f"{where}register rule {text.strip()!r}: {other!r} is neither a field "
                             f"nor a {fields[name].width}-bit pattern")
    return tuple(comparisons)


def parse_row(text: str, line: int = 0) -> Row:
    """Parse one table line (comments already stripped)."""
    where = f"line {line}: "
    columns = [c.strip() for c in text.split("|")]
    if len(columns) not in (5, 6):
        raise TableError(f"{where}expected 5 or 6 '|'-separated columns, got {len(columns)}")
    form, diagram, kind_text, feature, bytes_spec = columns[:5]
    try:
        kind = Kind(kind_text)
    except ValueError:
        raise TableError(f"{where}unknown kind {kind_text!r}") from None
    mask, value, sb_mask, sb_value, fields, excluded = parse_diagram(diagram, where)
    if excluded and kind is Kind.OTHER:
        raise TableError(f"{where}a field constraint on a row of kind other excludes nothing")
    if not (bytes_spec == "-" or bytes_spec.isdigit()):
        m = _BYTES_SHIFT.fullmatch(bytes_spec)
        if not m or m.group(2) not in fields:
            raise TableError(f"{where}cannot read bytes {bytes_spec!r}")
    unpredictable_when = tuple(parse_rule(rule, fields, where)
                               for rule in (columns[5].split(",") if len(columns) == 6 else []))
    return Row(
        form=form,
        kind=kind,
        feature=None if feature == "-" else feature,
        mask=mask,
        value=value,
        should_be_mask=sb_mask,
        should_be_value=sb_value,
        fields=fields,
        bytes_spec=bytes_spec,
        diagram=" ".join(diagram.split()),
        line=line,
        excluded=excluded,
        unpredictable_when=unpredictable_when,
    )


def _cube_minus(mask: int, value: int, other_mask: int, other_value: int) -> list[tuple[int, int]]:
    """The words of cube (mask, value) outside cube (other_mask, other_value), as
    disjoint cubes: split on the other cube's bits that this one leaves free."""
    if (value ^ other_value) & mask & other_mask:
        return [(mask, value)]  # disjoint already
    pieces = []
    for bit in range(WORD_BITS):
        selector = 1 << bit
        if other_mask & selector and not mask & selector:
            pieces.append((mask | selector, value | (~other_value & selector)))
            mask, value = mask | selector, value | (other_value & selector)
    return pieces  # what is left, (mask, value), lies inside the other cube


def carve_outs(row: Row) -> list[Row]:
    """The UNALLOCATED rows a row's field constraints imply: each excluded cube
    inside the row, minus the cubes before it, so the carve-outs are disjoint."""
    pieces: list[tuple[int, int]] = []
    for number, (cube_mask, cube_value) in enumerate(row.excluded):
        mine = [(row.mask | cube_mask, row.value | cube_value)]
        for earlier_mask, earlier_value in row.excluded[:number]:
            mine = [piece for m, v in mine for piece in _cube_minus(m, v, earlier_mask, earlier_value)]
        pieces += mine
    return [Row(form=UNALLOCATED, kind=Kind.OTHER, feature=None, mask=m, value=v,
                should_be_mask=0, should_be_value=0, fields=row.fields,
                diagram=f"carve-out of {row.form}: {row.diagram}", line=row.line)
            for m, v in pieces]


def read_rows(text: str) -> list[Row]:
    """Parse a whole table file's text into rows, in file order."""
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        body = raw.split("#", 1)[0].strip()
        if body:
            row = parse_row(body, number)
            rows.append(row)
            rows += carve_outs(row)
    return rows


def read_file(path: Path) -> list[Row]:
    return read_rows(Path(path).read_text(encoding="utf-8"))
