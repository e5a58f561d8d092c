"""The encoding corpus (a64fault/data/encodings.jsonl, package data): load, count, export.

Each line of the corpus is one assembler-built instruction word with what
the Arm ARM says it does (built by fixtures/build.py, not by this package):
``asm``, ``word`` (8 hex digits), ``assembler`` (keystone/llvm),
``feature`` (None for the Armv8.0 base), ``kind``, ``form`` and ``writes``.
Exports: JSON, and a C header other projects (a kernel selftest, an
emulator test) can include.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import InputError, reading
from .kinds import Kind
from .policies import ATOMIC, POLICY_KINDS

#: The corpus in a source checkout (it is not installed with the package).
#: Shipped with the package; written by the repository script fixtures/build.py.
CORPUS_PATH = Path(__file__).resolve().parent / "data" / "encodings.jsonl"
ASSEMBLERS = ("keystone", "llvm")
#: How the command line names the Armv8.0 base (feature None).
BASE = "base"
#: Kinds the C header flags as ``atomic_rmw``: the ones the ``atomic`` policy upgrades.
ATOMIC_KINDS = frozenset(kind.value for kind in POLICY_KINDS[ATOMIC])
_KEYS = ("asm", "word", "assembler", "feature", "kind", "form", "writes")


@dataclass(frozen=True)
class Fixture:
    """One corpus line; ``word`` as an int, ``area`` the spec module that declared it."""

    asm: str
    word: int
    assembler: str
    feature: str | None
    kind: str
    form: str | None
    writes: bool
    area: str | None = None

    @property
    def atomic_rmw(self) -> bool:
        return self.kind in ATOMIC_KINDS

    def to_dict(self) -> dict[str, object]:
        values = asdict(self)
        values["word"] = f"{self.word:08x}"
        return values


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != "" and value.isprintable()


def parse_line(text: str, where: str) -> Fixture:
    """One JSON line -> Fixture; InputError naming ``where`` when it is malformed."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not JSON ({error.msg})") from None
    except (ValueError, RecursionError):  # e.g. a 5000-digit number, 10000 nested '['
        raise InputError(f"{where}: not a corpus line (JSON too large or too deep)") from None
    if not isinstance(data, dict) or any(k not in data for k in _KEYS):
        raise InputError(f"{where}: expected an object with keys {', '.join(_KEYS)}")
    for key in ("asm", "word", "assembler", "kind", "feature", "form", "area"):
        value = data.get(key)
        optional = key in ("feature", "form", "area")
        if not (optional and value is None) and not _is_text(value):
            allowed = "text or null" if optional else "text"
            raise InputError(f"{where}: {key} must be {allowed} on one printable line, "
                             f"not {value!r:.60}")
    word = data["word"]
    if not (len(word) == 8 and all(c in "0123456789abcdef" for c in word)):
        raise InputError(f"{where}: word must be 8 lower-case hex digits, not {word!r}")
    if data["kind"] not in {k.value for k in Kind}:
        raise InputError(f"{where}: unknown kind {data['kind']!r}")
    if data["assembler"] not in ASSEMBLERS:
        raise InputError(f"{where}: unknown assembler {data['assembler']!r}")
    if not isinstance(data["writes"], bool):
        raise InputError(f"{where}: writes must be true or false")
    return Fixture(
        asm=data["asm"], word=int(word, 16), assembler=data["assembler"],
        feature=data["feature"], kind=data["kind"], form=data["form"],
        writes=data["writes"], area=data.get("area"),
    )


def load(path: Path | str | None = None) -> list[Fixture]:
    """Every fixture of the corpus at ``path`` (default: the packaged encodings.jsonl)."""
    path = Path(path) if path is not None else CORPUS_PATH
    if not path.is_file():
        raise InputError(f"{path}: no corpus file (build it with `a64fault fixtures build`)")
    with reading(path, "corpus file"):
        data = path.read_bytes()
    fixtures: list[Fixture] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}:{number}: not UTF-8 text (is it a corpus file?)") from None
        if text.strip():
            fixtures.append(parse_line(text, f"{path}:{number}"))
    return fixtures


def feature_name(feature: str | None) -> str:
    return BASE if feature is None else feature


def select(fixtures: Sequence[Fixture], kinds: Collection[str] = (),
           features: Collection[str] = ()) -> list[Fixture]:
    """The fixtures whose kind is one of ``kinds`` and feature one of ``features`` (empty: any).

    Unknown kinds, and features no fixture has, are an InputError.
    """
    known_kinds = [k.value for k in Kind]
    for kind in kinds:
        if kind not in known_kinds:
            raise InputError(f"unknown kind {kind!r}: choose from {', '.join(known_kinds)}")
    present = sorted({feature_name(f.feature) for f in fixtures})
    for feature in features:
        if feature not in present:
            raise InputError(f"no fixture has feature {feature!r}: the corpus has {', '.join(present)}")
    return [
        f for f in fixtures
        if (not kinds or f.kind in kinds) and (not features or feature_name(f.feature) in features)
    ]


def stats(fixtures: Iterable[Fixture]) -> dict[str, Counter[str]]:
    """Per feature name (``base`` for Armv8.0): a Counter of kinds."""
    counts: dict[str, Counter[str]] = {}
    for f in fixtures:
        counts.setdefault(feature_name(f.feature), Counter())[f.kind] += 1
    return counts


def format_stats(fixtures: Sequence[Fixture]) -> str:
    """A feature × kind table of counts, with totals and the assembler split."""
    counts = stats(fixtures)
    kinds = [k.value for k in Kind if any(c[k.value] for c in counts.values())]
    width = max([len(BASE), len("total")] + [len(f) for f in counts])
    header = f"{'feature':<{width}}  " + "  ".join(f"{k:>{max(len(k), 5)}}" for k in kinds) + "  total"
    lines = [header]
    for feature in sorted(counts, key=lambda f: (f != BASE, f)):
        row = counts[feature]
        cells = "  ".join(f"{row[k]:>{max(len(k), 5)}}" for k in kinds)
        lines.append(f"{feature:<{width}}  {cells}  {sum(row.values()):>5}")
    totals: Counter[str] = Counter()
    for row in counts.values():
        totals.update(row)
    cells = "  ".join(f"{totals[k]:>{max(len(k), 5)}}" for k in kinds)
    lines.append(f"{'total':<{width}}  {cells}  {sum(totals.values()):>5}")
    by_assembler = Counter(f.assembler for f in fixtures)
    lines.append("assembler: " + ", ".join(f"{by_assembler[a]} {a}" for a in ASSEMBLERS))
    return "\n".join(lines) + "\n"


def to_json(fixtures: Iterable[Fixture]) -> str:
    """The fixtures as a JSON array of corpus objects."""
    return json.dumps([f.to_dict() for f in fixtures], indent=1) + "\n"


def _c_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if not escaped.isprintable() or not escaped.isascii():
        raise InputError(f"cannot write {text!r} as a plain C string")
    return f'"{escaped}"'


def to_c_header(fixtures: Sequence[Fixture], selection: str = "all") -> str:
    """A C header: ``struct a64fault_insn a64fault_insns[A64FAULT_INSNS_COUNT]``.

    ``asm_text`` holds the assembly (``asm`` itself is a GNU C keyword);
    ``atomic_rmw`` is true for atomic-rmw and compare-and-swap instructions,
    the ones the default ``atomic`` policy handles as writes.
    """
    guard = "A64FAULT_INSNS_H"
    lines = [
        "/* Generated by `a64fault fixtures export --format c`: do not edit.",
        f" * A64 instruction words built by real assemblers (keystone, LLVM); selection: {selection}.",
        " * writes: executing it writes data memory (the Arm ARM's semantics);",
        " * atomic_rmw: an atomic read-modify-write or compare-and-swap, whose read",
        " * fault the `atomic` policy handles as a write fault.",
        " */",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#ifdef __KERNEL__",
        "#include <linux/types.h>",
        "#else",
        "#include <stdbool.h>",
        "#include <stdint.h>",
        "typedef uint32_t u32;",
        "#endif",
        "",
        "struct a64fault_insn {",
        "\tu32 insn;",
        "\tconst char *asm_text;",
        "\tbool writes;",
        "\tbool atomic_rmw;",
        "};",
        "",
        f"#define A64FAULT_INSNS_COUNT {len(fixtures)}",
        "",
        "static const struct a64fault_insn a64fault_insns[A64FAULT_INSNS_COUNT] = {",
    ]
    for f in fixtures:
        note = f"{f.form or '-'} {f.kind} {feature_name(f.feature)}".replace("*/", "* /")
        # The note on a line of its own keeps lines within the kernel's 100 columns.
        lines.append(f"\t/* {note} */")
        lines.append(
            f"\t{{ 0x{f.word:08x}, {_c_string(f.asm)}, {str(f.writes).lower()}, "
            f"{str(f.atomic_rmw).lower()} }},"
        )
    lines += ["};", "", f"#endif /* {guard} */", ""]
    return "\n".join(lines)
