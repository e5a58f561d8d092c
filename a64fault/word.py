"""The A64 instruction word: 32 bits, 4 bytes, always fetched little-endian.

The one owner of the word's size and of the check every entry point makes
on a word (``check_word``) or an array of words (``check_word_array``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Instruction words as the vector paths hold them: a numpy uint32 array.
WordArray: TypeAlias = "npt.NDArray[np.uint32]"

WORD_BITS = 32
WORD_BYTES = WORD_BITS // 8
WORD_LIMIT = 1 << WORD_BITS
WORD_ONES = WORD_LIMIT - 1


def check_word(word: Any) -> int:
    """Return ``word`` if it is an int in [0, 2**32); else raise InputError."""
    if isinstance(word, bool) or not isinstance(word, int):
        raise InputError(f"an instruction word must be an int, not {type(word).__name__}")
    if not 0 <= word < WORD_LIMIT:
        shown = f"{word:#x}"  # hex: a huge int has no decimal text (4,300-digit limit)
        raise InputError(f"instruction word {shown} does not fit in {WORD_BITS} bits")
    return word


def check_word_array(words: Any) -> WordArray:
    """``words`` as a flat numpy uint32 array; InputError for values outside [0, 2**32)
    or anything that is not integers."""
    import numpy as np

    try:
        array = np.asarray(words)
    except (ValueError, TypeError) as error:
        raise InputError(f"instruction words must be integers ({error})") from None
    if array.dtype != np.uint32:
        if array.dtype.kind not in "ui" and not (array.size == 0 and array.dtype.kind == "f"):
            raise InputError(f"instruction words must be integers, not {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= WORD_LIMIT):
            raise InputError(f"instruction words must fit in {WORD_BITS} bits")
        array = array.astype(np.uint32)
    return array.reshape(-1)
