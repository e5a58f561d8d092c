"""The one number parser: every number the tool reads from text goes through here.

Options (``--offset``, ``--count``, ``--addr``, ``--size``...), trace fields,
symbol offsets (``name+0x10``) and predicate terms all follow one rule:

* ``0x`` hex or decimal digits (hex without ``0x`` where the value is
  conventionally hex, such as an ESR or an address: ``hex_default``);
  ``_`` may separate digits; no sign;
* at most MAX_NUMBER_CHARS characters, checked before any conversion (so a
  5,000-digit number is one clear error, not Python's int-conversion limit);
* at most ``bits`` bits wide.

Sizes add an optional binary unit (``4K``, ``2M``, ``1GiB``). Every error is
an InputError whose message fits one line.
"""

from __future__ import annotations

import re

from .errors import InputError

#: Longest number text accepted: 64 binary digits need 20 decimal or 16 hex
#: digits; the rest leaves room for ``_`` separators, a prefix and a unit.
MAX_NUMBER_CHARS = 64
#: How much of a rejected text an error message quotes.
_QUOTED_CHARS = 40

_DECIMAL = re.compile(r"[0-9]+(?:_[0-9]+)*")
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*")
_SIZE = re.compile(r"(?P<number>0[xX][0-9a-fA-F_]+|[0-9_]+)\s*(?P<unit>[KMGTP]?)(?P<suffix>i?B)?",
                   re.IGNORECASE)
_UNIT_SHIFTS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40, "P": 50}


def quoted(text: str) -> str:
    """``repr(text)``, cut short for an error line when it is long."""
    if len(text) <= _QUOTED_CHARS:
        return repr(text)
    return repr(text[:_QUOTED_CHARS]) + f"... ({len(text)} characters)"


def parse_int(text: str, what: str, *, hex_default: bool = False, bits: int = 64,
              wrap_negative: bool = False) -> int:
    """An unsigned integer: ``0x`` hex or decimal (always hex with ``hex_default``).

    ``what`` names the value in errors (e.g. ``--offset``); the value must
    fit in ``bits`` bits. With ``wrap_negative``, a decimal with a leading
    ``-`` is a register printed as a signed type: its two's complement in
    ``bits`` bits (``-1`` with 64 bits is ``0xffffffffffffffff``), and its
    magnitude must fit in ``bits - 1`` bits unless it is exactly ``2**(bits-1)``.
    """
    if not isinstance(text, str):
        raise InputError(f"{what} {text!r} is not text")
    if len(text) > MAX_NUMBER_CHARS:
        raise InputError(f"{what} {quoted(text)} is too long for a number "
                         f"(at most {MAX_NUMBER_CHARS} characters)")
    body = text.strip()
    if wrap_negative and body[:1] == "-" and _DECIMAL.fullmatch(body[1:]):
        magnitude = int(body[1:].replace("_", ""), 10)
        if magnitude > 1 << (bits - 1):
            raise InputError(f"{what} {quoted(text)} is below the smallest signed "
                             f"{bits}-bit number")
        return -magnitude & ((1 << bits) - 1)
    if body[:2].lower() == "0x":
        hex_digits, digits = True, body[2:]
    else:
        hex_digits, digits = hex_default, body
    valid = _HEX_DIGITS if hex_digits else _DECIMAL
    if not valid.fullmatch(digits):
        kind = "a hex number" if hex_digits else "a number (decimal, or hex with 0x)"
        raise InputError(f"{what} {quoted(text)} is not {kind}")
    value = int(digits.replace("_", ""), 16 if hex_digits else 10)
    if value >> bits:
        raise InputError(f"{what} {quoted(text)} is wider than {bits} bits")
    return value


def _shown_value(value: object) -> str:
    """A field's value for an error line: short, and never a huge int's decimal text."""
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, int) and value.bit_length() > 128:
        return f"(a {value.bit_length()}-bit integer)"
    text = repr(value)
    return text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS] + "..."


def parse_size(text: str | int, what: str = "size", *, allow_zero: bool = False,
               bits: int = 64) -> int:
    """Bytes in a size like ``4096``, ``0x1000``, ``4K``, ``2M``, ``1G``, ``1TiB`` (binary units).

    Zero is an error unless ``allow_zero``; the byte count must fit in ``bits`` bits.
    """
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise InputError(f"bad {what} {_shown_value(text)}: not a number")
    if isinstance(text, int):
        value = text
    else:
        if len(text) > MAX_NUMBER_CHARS:
            raise InputError(f"bad {what} {quoted(text)}: too long for a size "
                             f"(at most {MAX_NUMBER_CHARS} characters)")
        match = _SIZE.fullmatch(text.strip())
        if (not match or (match["suffix"] and match["suffix"].upper() == "IB" and not match["unit"])
                or (match["unit"] and match["number"][:2].lower() == "0x")):
            raise InputError(f"bad {what} {quoted(text)}: expected a number with an optional K, M, "
                             "G, T or P suffix (binary units), e.g. 4K, 2M, 1G, or 0x hex bytes")
        value = parse_int(match["number"], f"bad {what}", bits=bits)
        value <<= _UNIT_SHIFTS[match["unit"].upper()]
    if value < 0 or (value == 0 and not allow_zero):
        raise InputError(f"bad {what} {_shown_value(text)}: must be "
                         f"{'>= 0' if allow_zero else 'positive'}")
    if value >> bits:
        raise InputError(f"bad {what} {_shown_value(text)}: wider than {bits} bits")
    return value


def parse_field(value: object, what: str, limit: int) -> int:
    """A number read from a data file (a trace's JSON or CSV field): an integer, or
    text in the parse_int rule; ``0 <= value < limit``."""
    if isinstance(value, bool):
        raise InputError(f"{what} {value!r} is not a number")
    if not isinstance(value, (int, str)):
        raise InputError(f"{what} {_shown_value(value)} is missing or not a number "
                         "(an integer or text)")
    bits = (limit - 1).bit_length()
    number = value if isinstance(value, int) else parse_int(value, what, bits=bits)
    if not 0 <= number < limit:
        raise InputError(f"{what} {_shown_value(value)} is out of range (0 to {limit - 1:#x})")
    return number
