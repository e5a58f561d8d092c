"""The A64 instruction word: 32 bits, 4 bytes, always fetched little-endian."""

WORD_BITS = 32
WORD_BYTES = WORD_BITS // 8
WORD_LIMIT = 1 << WORD_BITS
WORD_ONES = WORD_LIMIT - 1


def check_word(word: int) -> int:
    """Return ``word`` if it is an int in [0, 2**32); else raise TypeError/ValueError."""
    if isinstance(word, bool) or not isinstance(word, int):
        raise TypeError(f"instruction word must be an int, not {type(word).__name__}")
    if not 0 <= word < WORD_LIMIT:
        raise ValueError(f"instruction word {word:#x} does not fit in {WORD_BITS} bits")
    return word
