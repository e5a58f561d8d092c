"""The audit's predicate syntax: ``MASK:VALUE`` terms joined with ``| & ! ( )``.

A term is the set of words with ``(w & MASK) == VALUE`` (numbers 0x hex or
decimal); ``!`` binds tightest, then ``&``, then ``|``. Parentheses may nest
MAX_DEPTH deep; a run of ``!`` may be any length.
"""

from __future__ import annotations

import re
from typing import Literal, TypeAlias

from ..cubes import CubeSet, work_budget
from ..errors import InputError
from ..numbers import parse_int, quoted
from ..word import WORD_BITS

#: Set-arithmetic work one predicate may take (see cubes.work_budget): the worst
#: shapes measured reach it in about a second (docs/design.md, "Bounded cost").
MAX_WORK = 1_000_000_000
#: Parentheses nested deeper than this are refused (the parser recurses on them).
MAX_DEPTH = 100

#: A term (mask, value) or an operator character.
Token: TypeAlias = "tuple[Literal['term'], tuple[int, int]] | tuple[Literal['op'], str]"

_TOKEN = re.compile(r"\s*(?:(?P<term>[0-9A-Fa-fxX_]+\s*:\s*[0-9A-Fa-fxX_]+)|(?P<op>[|&!()]))")


def _number(text: str, whole: str) -> int:
    """A mask or value of a term: 0x hex or decimal, at most 32 bits."""
    return parse_int(text, f"in predicate {quoted(whole)}, number", bits=WORD_BITS)


def parse_predicate(text: str) -> CubeSet:
    """Parse ``MASK:VALUE`` terms joined with | & ! ( ) into a CubeSet."""
    tokens: list[Token] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InputError(f"cannot read predicate {quoted(text)} at {text[pos:].strip()[:20]!r}")
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
    with work_budget(MAX_WORK, "the predicate"):
        result = parser.union()
    if parser.pos != len(tokens):
        raise InputError(f"unexpected {tokens[parser.pos][1]!r} in predicate {quoted(text)}")
    return result


class _Parser:
    """Recursive descent: union := inter ('|' inter)*; inter := unary ('&' unary)*."""

    def __init__(self, tokens: list[Token], text: str) -> None:
        self.tokens, self.text, self.pos, self.depth = tokens, text, 0, 0

    def peek(self) -> Token | tuple[None, None]:
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
        token = self.peek()
        if token[0] is None:
            raise InputError(f"predicate {quoted(self.text)} ends too early")
        self.pos += 1
        value = token[1]
        if token[0] == "term":
            result = CubeSet.term(*token[1])
        elif value == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise InputError(f"predicate nests parentheses deeper than {MAX_DEPTH}")
            result = self.union()
            if self.peek() != ("op", ")"):
                raise InputError(f"missing ')' in predicate {quoted(self.text)}")
            self.pos += 1
            self.depth -= 1
        else:
            raise InputError(f"unexpected {value!r} in predicate {quoted(self.text)}")
        return ~result if negate else result
