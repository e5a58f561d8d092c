"""``a64fault classify``: classify instruction words from text, bytes, a raw file or an ELF."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from ..decoder import Fetched, decode, parse_bytes, parse_words, read_file_words
from ..decoder.elf.debugfile import DEFAULT_DEBUG_DIR
from ..errors import InputError
from ..numbers import parse_int
from ..policies import DEFAULT_POLICY, POLICIES
from ..word import WORD_BYTES
from . import SHORT_HELP
from .columns import Record, fit, symbol_text

if TYPE_CHECKING:
    from ..decoder.elf import ElfImage


def _gather(words: tuple[str, ...], raw_bytes: str | None, endian: str | None, path: str | None,
            offset: str | None, count: str | None, elf: str | None, addr: str | None,
            symbol: str | None, debug_dir: str) -> tuple[list[Fetched], ElfImage | None]:
    """The instructions to classify, as (Fetched list, ElfImage or None)."""
    sources = [name for name, given in (("WORD", bool(words)), ("--bytes", raw_bytes is not None),
                                        ("--file", path is not None), ("--elf", elf is not None))
               if given]
    if len(sources) > 1:
        raise InputError(f"give one input, not {' and '.join(sources)}")
    if not sources:
        raise InputError("no instruction words given (WORD..., -, --bytes, --file or --elf)")
    source = sources[0]
    if offset is not None and source != "--file":
        raise InputError("--offset goes with --file")
    if count is not None and source not in ("--file", "--elf"):
        raise InputError("--count goes with --file or --elf")
    if (addr is not None or symbol is not None) and source != "--elf":
        raise InputError("--addr and --symbol go with --elf")
    if endian is not None and source not in ("--bytes", "--file"):
        raise InputError("--endian goes with --bytes or --file (A64 words are little-endian)")
    endian = endian or "little"
    wanted = None if count is None else parse_int(count, "--count")
    if wanted == 0:
        raise InputError("--count must be at least 1")

    if source == "WORD":
        texts: list[str] = []
        for text in words:
            texts.append(sys.stdin.read() if text == "-" else text)
        return [Fetched(None, word) for word in parse_words(texts)], None
    if source == "--bytes":
        assert raw_bytes is not None  # the source chosen is one that was given
        return [Fetched(None, word) for word in parse_bytes(raw_bytes, endian)], None
    if source == "--file":
        assert path is not None
        start = 0 if offset is None else parse_int(offset, "--offset")
        return read_file_words(path, start, wanted, endian), None

    from ..decoder.elf import ElfImage

    if (addr is None) == (symbol is None):
        raise InputError("--elf needs one of --addr ADDRESS or --symbol NAME[+OFFSET]")
    assert elf is not None
    image = ElfImage(elf, debug_dir=debug_dir)
    if addr is not None:
        start = image.parse_address(addr)
    else:
        assert symbol is not None  # one of --addr and --symbol: checked above
        start = image.address_of(symbol)
    return [Fetched(start + WORD_BYTES * i, word)
            for i, word in enumerate(image.words_at(start, wanted or 1))], image


def _records(fetched: list[Fetched], image: ElfImage | None, esr: int | None, el: int,
             aarch32: bool, policy: str, vma_writable: bool | None) -> list[Record]:
    """One dict per instruction with everything either output form shows."""
    from .. import classify as classify_word
    from .. import decide, upgrades

    records: list[Record] = []
    for item in fetched:
        c = classify_word(item.word)
        pc = item.address or 0 if image is None or item.address is None else image.pc(item.address)
        text = decode(item.word, pc)
        record: Record = {
            "address": (None if item.address is None else
                        image.describe(item.address) if image is not None else f"{item.address:#x}"),
            "word": f"{item.word:#010x}",
            "bytes": item.raw.hex(),
            "text": None if text is None else str(text),
            "form": c.form,
            "kind": c.kind.value,
            "feature": c.feature,
            "writes": c.writes,
            "upgrade": upgrades(item.word, policy),
            "policy": policy,
        }
        if image is not None and item.address is not None:  # an ELF's words have addresses
            place = image.location(item.address)
            if place is not None:
                record["section"], record["offset"] = place[0], f"{place[1]:#x}"
            record["symbol"] = image.symbolize(item.address)
            record["demangled"] = image.symbolize(item.address, demangled=True)
            record["mapping"] = image.mapping_at(item.address)
        if esr is not None:
            decision = decide(item.word, esr, el=el, aarch32=aarch32,
                              vma_writable=vma_writable, policy=policy)
            record["esr"] = f"{esr:#x}"
            record["decision"] = decision.to_dict()
        records.append(record)
    return records


def _human_lines(records: list[Record], demangled: bool = True) -> list[str]:
    """Aligned columns: [address [<symbol>]] word text kind feature form [decision: reason]."""
    rows: list[list[str]] = []
    for r in records:
        row: list[str] = []
        if r["address"] is not None:
            where = r["address"]
            name = symbol_text(r, demangled)
            if name:
                where += f" <{fit(name)}>"
            row.append(where)
        text = r["text"] or "?"
        if r.get("mapping") == "$d":
            text = f"(data) {text}"
        row += [r["word"][2:], text, r["kind"], r["feature"] or "-", r["form"] or "-"]
        if "decision" in r:
            d = r["decision"]
            arrow = (f"{d['reported']}->{d['effective']}" if d["upgraded"] else d["effective"])
            row.append(f"{arrow}: {d['reason']}")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(max(map(len, rows)))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            for row in rows]


@click.command("classify", short_help=SHORT_HELP["classify"])
@click.argument("words", nargs=-1)
@click.option("--bytes", "raw_bytes", metavar="HEX",
              help='Bytes in memory order, e.g. "41 00 20 b8".')
@click.option("--endian", type=click.Choice(["little", "big"]), default=None,
              help="Byte order of --bytes/--file words (default little: A64 fetch order).")
@click.option("--file", "path", metavar="PATH", help="Raw binary file of instructions.")
@click.option("--offset", metavar="N", help="Byte offset into --file (decimal or 0x hex).")
@click.option("--count", metavar="N", help="Words to read (--file: default all; --elf: 1).")
@click.option("--elf", metavar="PATH", help="AArch64 ELF file (LE or BE) to read from.")
@click.option("--addr", metavar="ADDR", help="Virtual address in --elf (hex, e.g. an ELR).")
@click.option("--symbol", metavar="NAME[+OFF]", help="Symbol in --elf, e.g. pretouch+0x4.")
@click.option("--debug-dir", default=str(DEFAULT_DEBUG_DIR), show_default=True,
              metavar="DIR", help="Where separate debug files of a stripped --elf are looked up.")
@click.option("--no-demangle", "no_demangle", is_flag=True,
              help="Show C++/Rust symbol names as stored (JSON has both anyway).")
@click.option("--esr", "esr_text", metavar="ESR", help="ESR_ELx of the fault (hex): adds the decision.")
@click.option("--el", type=click.Choice(["0", "1"]), default="0", show_default=True,
              help="Exception level the fault came from.")
@click.option("--aarch32", is_flag=True, help="The faulting task ran in AArch32 state.")
@click.option("--policy", type=click.Choice(POLICIES), default=DEFAULT_POLICY, show_default=True,
              help="Which read faults become write faults.")
@click.option("--vma-writable/--vma-readonly", "vma_writable", default=None,
              help="The VMA's write permission (default: unknown, assumed writable).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one object per instruction.")
def command(words: tuple[str, ...], raw_bytes: str | None, endian: str | None, path: str | None,
            offset: str | None, count: str | None, elf: str | None, addr: str | None,
            symbol: str | None, debug_dir: str, no_demangle: bool, esr_text: str | None, el: str,
            aarch32: bool, policy: str, vma_writable: bool | None, as_json: bool) -> None:
    """Classify A64 instruction WORDs (hex, e.g. b8200041 or 0xb8200041,d503201f; - reads stdin).

    Each line shows the address (when known), the word, Capstone's text
    ("?" where it cannot decode; "(data)" where an ELF's $d mapping symbol
    marks a literal pool or jump table), the kind, the feature and the table
    form; with --esr, the decision for a fault at that instruction.
    """
    esr = None if esr_text is None else parse_int(esr_text, "ESR", hex_default=True, bits=64)
    fetched, image = _gather(words, raw_bytes, endian, path, offset, count, elf, addr, symbol,
                             debug_dir)
    try:
        records = _records(fetched, image, esr, int(el), aarch32, policy, vma_writable)
    finally:
        if image is not None:
            image.close()
    if as_json:
        for record in records:
            click.echo(json.dumps(record))
    else:
        for line in _human_lines(records, demangled=not no_demangle):
            click.echo(line)
