"""The likely-data rule: words in executable sections that are probably data.

Compilers mark literal pools and jump tables with ``$d`` mapping symbols,
but stripped files lose them, and hand-written assembly (e.g. OpenSSL's
precomputed curve tables) puts tables in ``.text`` without any. Random data
words decode as instructions fairly often, atomics included, but real code
almost never has an undecodable word, while table data has many.

The rule, for a file without mapping symbols: a selected word is *likely
data* when, of the SIDE words before it and the SIDE words after it (within
its executable range), at least MIN_UNDECODABLE are words that Capstone
cannot decode or decodes as ``udf`` (permanently undefined), with at least
one on each side (a side cut off by the range's start or end is not asked).
Asking both sides keeps real code right before or after a table: its own
side is clean. Random words are undecodable about 62 % of the time
(measured over 100,000), so inside a table both sides almost always hold
some. Likely-data words are counted and listed apart as ``(data?)``. The
effect on a real library, measured against the objdump listing, is in the
README ("Data in code").
"""

from __future__ import annotations

#: Words looked at on each side of a selected word.
SIDE = 8
#: Undecodable words, both sides together, that make a selected word likely data.
MIN_UNDECODABLE = 4


#: Capstone mnemonics that say a word is no instruction ("" = it cannot decode it).
NOT_INSTRUCTIONS = frozenset(("", "udf"))


def likely_data(bad: bytearray, index: int, length: int) -> bool:
    """The rule for the word at ``index`` of an executable range of ``length``
    words, where ``bad[k]`` is 1 for each word k Capstone cannot decode (or
    decodes as udf), 0 otherwise; only the SIDE words on each side of
    ``index`` are read (see listing.py, which asks Capstone about just those).
    """
    before = bad[max(0, index - SIDE):index].count(1)
    after = bad[index + 1:index + 1 + SIDE].count(1)
    if before + after < MIN_UNDECODABLE:
        return False
    return (index == 0 or before > 0) and (index + 1 == length or after > 0)
