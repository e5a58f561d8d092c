"""A generated predicate: its terms, what each covers, and where it came from."""

from __future__ import annotations

import hashlib
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import __version__
from ..cubes import Cube, CubeSet
from ..errors import InputError
from ..kinds import Kind
from ..patterns import TABLE_PATH, Table, default_table
from ..policies import DEFAULT_POLICY, KERNEL_V5, POLICY_KINDS, check_policy
from ..terms import AnyOf, Test
from .cover import Cover, minimum_cover
from .sets import DEFAULT_DONT_CARE, PolicySets, check_dont_care, policy_sets, row_regions

#: How feature None (the Armv8.0 base) is named in comments and JSON.
BASE = "base"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Words no generated function may be named (keywords of the five languages).
RESERVED_NAMES = frozenset(keyword.kwlist) | {
    "auto", "bool", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "u32", "uint32_t", "main",
    "as", "crate", "fn", "impl", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "self", "Self", "super", "trait", "type", "unsafe", "use", "where", "async", "await", "dyn",
    "chan", "defer", "func", "go", "interface", "map", "package", "range", "select", "var",
    "fallthrough", "uint32", "true", "false",
}


@dataclass(frozen=True)
class Term:
    """One ``(insn & mask) == value`` test and the policy forms whose words it matches."""

    mask: int
    value: int
    #: Forms (table order) with ON words in this term.
    forms: tuple[str, ...]
    #: Those forms' features (``base`` for the Armv8.0 base), sorted.
    features: tuple[str, ...]
    #: The forms of ``forms`` whose ON words this term holds only some of.
    partial: tuple[str, ...] = ()
    #: ``forms`` grouped by feature: (feature, forms) in ``features`` order.
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def matches(self, word: int) -> bool:
        return word & self.mask == self.value

    def as_json(self) -> dict[str, object]:
        return {"mask": f"{self.mask:#010x}", "value": f"{self.value:#010x}",
                "forms": list(self.forms), "features": list(self.features),
                "partial_forms": list(self.partial)}


@dataclass(frozen=True)
class GeneratedPredicate:
    """An OR of terms that matches every ON word and no OFF word of a policy."""

    terms: tuple[Term, ...]
    #: Policy name, or None when chosen by --kinds.
    policy: str | None
    kinds: tuple[Kind, ...]
    dont_care: str
    cover: Cover
    table_sha256: str
    version: str = __version__

    @property
    def optimal(self) -> bool:
        """Proven minimum: ``lower_bound`` pairwise incompatible ON words exist."""
        return self.cover.optimal

    @property
    def lower_bound(self) -> int:
        return self.cover.lower_bound

    @property
    def label(self) -> str:
        """The policy as the header and JSON name it."""
        return self.policy if self.policy is not None else "kinds " + ",".join(
            k.value for k in self.kinds)

    def default_name(self) -> str:
        """``insn_is_<policy>`` (or ``insn_is_<kind>_or_<kind>``) as an identifier."""
        if self.policy is not None:
            stem = self.policy
        else:
            stem = "_or_".join(k.value for k in self.kinds)
        return "insn_is_" + re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_")

    def options(self) -> list[str]:
        """The command-line options that select this predicate, in a fixed order."""
        select = (["--policy", self.policy] if self.policy is not None
                  else ["--kinds", ",".join(k.value for k in self.kinds)])
        return [*select, "--dont-care", self.dont_care]

    def expression(self) -> AnyOf:
        """The terms as the project's predicate object (a64fault.terms): callable on a
        word, ``cube_set()`` for exact counts, ``str()`` in the audit's syntax."""
        return AnyOf(*(Test(t.mask, t.value) for t in self.terms))

    def matches(self, word: int) -> bool:
        return any(t.matches(word) for t in self.terms)

    def cube_set(self) -> CubeSet:
        return self.expression().cube_set() if self.terms else CubeSet()

    def as_json(self) -> dict[str, object]:
        return {
            "policy": self.label,
            "kinds": [k.value for k in self.kinds],
            "dont_care": self.dont_care,
            "terms": [t.as_json() for t in self.terms],
            "optimal": self.optimal,
            "lower_bound": self.lower_bound,
            "witnesses": [f"{w:#010x}" for w in self.cover.witnesses],
            "primes": self.cover.primes,
            "primes_complete": self.cover.primes_complete,
            "solver_optimal": self.cover.solver_optimal,
            "table": {"file": TABLE_PATH.name, "sha256": self.table_sha256,
                      "a64fault": self.version},
        }


def check_name(name: str) -> str:
    """A function name usable in every output language, or InputError."""
    if not _IDENTIFIER.fullmatch(name) or len(name) > 64:
        raise InputError(f"bad --name {name!r}: use letters, digits and '_' (at most 64), "
                         "not starting with a digit")
    if name in RESERVED_NAMES:
        raise InputError(f"bad --name {name!r}: a keyword or type name in an output language")
    return name


def parse_kinds(text: str) -> tuple[Kind, ...]:
    """``atomic-rmw,compare-and-swap`` -> kinds (table order of Kind), InputError otherwise."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise InputError("--kinds selects nothing: name one or more kinds")
    known = {k.value: k for k in Kind}
    kinds = set()
    for name in names:
        if name not in known:
            raise InputError(f"unknown kind {name!r}: choose from {', '.join(known)}")
        kinds.add(known[name])
    if Kind.OTHER in kinds:
        raise InputError("kind 'other' is not a memory kind: a predicate for it is not a policy")
    return tuple(k for k in Kind if k in kinds)


def policy_kinds(policy: str) -> tuple[Kind, ...]:
    """The kinds a table-driven policy upgrades, in Kind order; InputError otherwise."""
    check_policy(policy)
    if policy == KERNEL_V5:
        raise InputError("kernel-v5 is a fixed predicate, not a set of kinds: "
                         "compare with it using --against kernel-v5")
    kinds = POLICY_KINDS[policy]
    if not kinds:
        raise InputError(f"policy {policy!r} upgrades nothing: there is no predicate to generate")
    return tuple(k for k in Kind if k in kinds)


def table_sha256(path: Path = TABLE_PATH) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generate(policy: str | None = DEFAULT_POLICY, *, kinds: Iterable[Kind] | None = None,
             dont_care: str = DEFAULT_DONT_CARE) -> GeneratedPredicate:
    """The minimum predicate for ``policy`` (or for ``kinds``) over the project's table.

    Deterministic: the same table gives the same terms in the same order.
    Cached per process (generation takes a few seconds).
    """
    check_dont_care(dont_care)
    if kinds is not None:
        chosen = tuple(k for k in Kind if k in set(kinds))
        if not chosen:
            raise InputError("--kinds selects nothing")
        return _generate(None, chosen, dont_care)
    policy = policy if policy is not None else DEFAULT_POLICY
    return _generate(policy, policy_kinds(policy), dont_care)


@lru_cache(maxsize=None)
def _generate(policy: str | None, kinds: tuple[Kind, ...], dont_care: str) -> GeneratedPredicate:
    table = default_table()
    sets = policy_sets(kinds, dont_care, table)
    if not sets.on.cubes:
        raise InputError(f"no table row has kind {' or '.join(k.value for k in kinds)}: "
                         "nothing to match")
    cover = minimum_cover(sets.on, sets.off)
    terms = describe_terms(cover.terms, sets, table)
    return GeneratedPredicate(terms, policy, kinds, dont_care, cover, table_sha256())


def describe_terms(cubes: Iterable[Cube], sets: PolicySets, table: Table) -> tuple[Term, ...]:
    """Terms with the forms and features of the ON words each matches, in table order.

    Terms are ordered by the first table line whose ON words they match, then
    by mask and value. A form is *partial* in a term that holds only some of
    its ON words.
    """
    regions = row_regions(table)
    on_rows = [(row, np.array(cubes_, dtype=np.uint64).reshape(-1, 2))
               for row, cubes_ in zip(table.rows, regions) if row.kind in sets.kinds]
    order = {form: i for i, form in enumerate(table.forms)}
    out = []
    for mask, value in cubes:
        tm, tv = np.uint64(mask), np.uint64(value)
        meets: dict[str, bool] = {}
        whole: dict[str, bool] = {}
        feature_of: dict[str, str] = {}
        first_line = None
        for row, row_cubes in on_rows:
            m, v = row_cubes[:, 0], row_cubes[:, 1]
            row_meets = bool((((v ^ tv) & m & tm) == 0).any())
            row_inside = bool((((m & tm) == tm) & ((v & tm) == tv)).all())
            meets[row.form] = meets.get(row.form, False) or row_meets
            whole[row.form] = whole.get(row.form, True) and row_inside
            if row_meets:
                feature_of.setdefault(row.form, row.feature or BASE)
                first_line = row.line if first_line is None else min(first_line, row.line)
        names = tuple(sorted((f for f in meets if meets[f]), key=order.__getitem__))
        features = tuple(sorted(set(feature_of.values()), key=lambda f: (f != BASE, f)))
        groups = tuple((feature, tuple(f for f in names if feature_of[f] == feature))
                       for feature in features)
        term = Term(mask, value, names, features, tuple(f for f in names if not whole[f]), groups)
        out.append((first_line or 0, mask, value, term))
    return tuple(term for *_, term in sorted(out, key=lambda item: item[:3]))
