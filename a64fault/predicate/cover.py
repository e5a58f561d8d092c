"""Prime implicants and an exact minimum cover, with a certificate of optimality.

A *term* is a cube ``(mask, value)``: the words ``w`` with ``w & mask == value``.
An implicant is a term that meets no OFF word; a prime implicant is one that
stays an implicant only as it is (freeing any fixed bit lets an OFF word in).

Primes: for an ON cube ``c``, a term that keeps a subset S of c's fixed bits
(with c's values) misses an OFF cube ``o`` exactly when S contains a bit
that c and o both fix to different values. So the primes containing ``c``
are the minimal sets S that hit every such *clause* (minimal transversals),
enumerated by branching on the bits of the first clause not yet hit.

Cover: choose the fewest primes such that every ON cube lies in one of them,
an integer program solved by HiGHS (``scipy.optimize.milp``).

Optimality certificate: two ON words are *incompatible* when the smallest
term holding both (the bits where they agree, fixed) meets an OFF word; no
term, prime or not, holds two incompatible words. So k pairwise
incompatible ON words prove that every cube predicate needs at least k
terms. Witness candidates are drawn from the ON cubes; a greedy pass, and if
it falls short a second integer program, picks a pairwise incompatible set
among them (any such set is a valid bound, even when the solver stops
early). The cover is reported optimal only when its size equals that bound.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..cubes import CubeColumn, CubeSet
from ..word import WORD_ONES

Cube = tuple[int, int]

#: Primes enumerated per ON cube before giving up on completeness.
MAX_PRIMES_PER_CUBE = 2_000
#: Seconds HiGHS may spend on the cover.
TIME_LIMIT = 60.0
#: Seconds HiGHS may spend per round on a largest incompatible set (any set it has
#: found by then is still a valid bound).
WITNESS_TIME_LIMIT = 10.0
#: Witness candidates per ON cube: its free bits at 0, at 1, and at this many
#: pseudo-random patterns (fixed seed: the same every run), one entry per round;
#: a further round runs only while the bound is below the cover's size.
RANDOM_WITNESSES = (2, 6, 12)
WITNESS_SEED = 0x64FA
#: Most witness candidates per round (the pairwise check costs their number squared).
MAX_WITNESS_CANDIDATES = 1500
#: Most candidates drawn from one term's own region per round (fewer when the
#: regions together would pass MAX_WITNESS_CANDIDATES).
OWN_REGION_WORDS = 64
#: Most compatible pairs handed to HiGHS for a largest incompatible set (beyond, its
#: presolve alone outlasts the time limit): larger graphs keep the greedy set.
MAX_EXACT_EDGES = 100_000


@dataclass(frozen=True)
class Cover:
    """A cover of ON by primes, and what is known about its optimality."""

    terms: tuple[Cube, ...]
    #: How many primes the cover was chosen from.
    primes: int
    #: Whether the primes are every prime containing an ON cube.
    primes_complete: bool
    #: True: HiGHS proved the cover minimum over ``primes``; False: time limit.
    solver_optimal: bool
    #: ON words pairwise incompatible: no cube predicate has fewer terms.
    witnesses: tuple[int, ...]

    @property
    def lower_bound(self) -> int:
        return len(self.witnesses)

    @property
    def optimal(self) -> bool:
        """Proven minimum over every cube predicate (the witnesses match its size)."""
        return len(self.terms) == self.lower_bound


def _clauses(cube: Cube, off_masks: np.ndarray, off_values: np.ndarray) -> list[int]:
    """Per OFF cube, the bits where it and ``cube`` differ; only the minimal sets."""
    mask, value = cube
    differ = off_masks & np.uint64(mask) & (off_values ^ np.uint64(value))
    if not len(differ):
        return []
    if not differ.all():
        raise ValueError(f"ON cube {mask:#x}:{value:#x} meets an OFF cube")
    unique = np.unique(differ)
    unique = unique[np.argsort(np.bitwise_count(unique), kind="stable")].tolist()
    minimal: list[int] = []
    for bits in unique:
        if not any(kept & bits == kept for kept in minimal):
            minimal.append(bits)
    return minimal


def _transversals(clauses: list[int], limit: int) -> tuple[set[int], bool]:
    """Minimal bit sets hitting every clause; False when ``limit`` cut the search."""
    found: set[int] = set()
    complete = True
    stack = [0]
    seen = set()
    while stack:
        chosen = stack.pop()
        if chosen in seen:
            continue
        seen.add(chosen)
        open_clause = next((c for c in clauses if not c & chosen), None)
        if open_clause is None:
            found.add(_minimal(chosen, clauses))
            if len(found) >= limit:
                complete = False
                break
            continue
        bits = open_clause
        while bits:
            low = bits & -bits
            bits ^= low
            stack.append(chosen | low)
    return found, complete


def _minimal(chosen: int, clauses: list[int]) -> int:
    """Drop bits of a hitting set while it still hits every clause (highest bit first)."""
    for bit in sorted((1 << b for b in range(chosen.bit_length()) if chosen >> b & 1),
                      reverse=True):
        if all(c & (chosen ^ bit) for c in clauses):
            chosen ^= bit
    return chosen


def prime_implicants(on: CubeSet, off: CubeSet, limit: int = MAX_PRIMES_PER_CUBE
                     ) -> tuple[list[Cube], bool]:
    """The primes containing some ON cube, sorted; and whether the list is complete."""
    off_masks, off_values = off.arrays()
    primes: set[Cube] = set()
    complete = True
    for cube in on.cubes:
        keep, whole = _transversals(_clauses(cube, off_masks, off_values), limit)
        complete &= whole
        primes.update((bits, cube[1] & bits) for bits in keep)
    return sorted(primes), complete


def _contains(outer_masks: CubeColumn, outer_values: CubeColumn, cube: Cube) -> npt.NDArray[np.bool_]:
    """Per outer cube: whether it contains ``cube``."""
    mask, value = np.uint64(cube[0]), np.uint64(cube[1])
    contains: npt.NDArray[np.bool_] = ((outer_masks & mask) == outer_masks) & (
        (value & outer_masks) == outer_values)
    return contains


def _solve(cost: npt.NDArray[np.float64], matrix: object, lower: float, upper: float,
           time_limit: float) -> tuple[npt.NDArray[np.intp] | None, bool]:
    """A 0/1 integer program: minimize cost @ x subject to lower <= matrix @ x <= upper.

    ``matrix``: a dense array or a scipy sparse matrix (scipy has no type information).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = len(cost)
    result = milp(cost, constraints=LinearConstraint(matrix, lb=lower, ub=upper),
                  integrality=np.ones(n), bounds=Bounds(0, 1),
                  options={"time_limit": time_limit, "presolve": True})
    if result.x is None:
        return None, False
    return np.flatnonzero(result.x > 0.5), result.status == 0


def minimum_cover(on: CubeSet, off: CubeSet, time_limit: float = TIME_LIMIT) -> Cover:
    """The fewest primes covering ON (every ON cube inside a chosen prime), certified."""
    primes, complete = prime_implicants(on, off)
    if not on.cubes:
        return Cover((), len(primes), complete, True, ())
    masks = np.array([m for m, _ in primes], dtype=np.uint64)
    values = np.array([v for _, v in primes], dtype=np.uint64)
    matrix = np.array([_contains(masks, values, cube) for cube in on.cubes], dtype=float)
    chosen, solver_optimal = _solve(np.ones(len(primes)), matrix, 1, np.inf, time_limit)
    if chosen is None:  # no incumbent within the time limit: every ON cube's first prime
        chosen = np.unique(np.argmax(matrix, axis=1))
        solver_optimal = False
    terms = _irredundant([primes[i] for i in chosen], on)
    witnesses: tuple[int, ...] = ()
    rng = random.Random(WITNESS_SEED)
    owned = owned_regions(terms, on)
    for count in RANDOM_WITNESSES:
        found = incompatible_witnesses(on, off, rng, count, len(terms),
                                       min(time_limit, WITNESS_TIME_LIMIT), witnesses, owned)
        witnesses = max(witnesses, found, key=len)
        if len(witnesses) >= len(terms):
            break
    return Cover(tuple(sorted(terms)), len(primes), complete, solver_optimal, witnesses)


def _irredundant(terms: list[Cube], on: CubeSet) -> list[Cube]:
    """Drop terms whose ON words the others cover already (largest first kept)."""
    terms = sorted(terms)
    index = 0
    while index < len(terms):
        if len(terms) > 1 and not _owned(terms, index, on).cubes:
            del terms[index]
        else:
            index += 1
    return terms


def _owned(terms: list[Cube], index: int, on: CubeSet) -> CubeSet:
    """The ON words ``terms[index]`` holds and no other term does."""
    mask, value = terms[index]
    overlapping = [CubeSet.term(m, v) for i, (m, v) in enumerate(terms)
                   if i != index and not (m & mask & (v ^ value))]
    mine = CubeSet.term(mask, value) & on
    return mine - CubeSet.union(*overlapping) if overlapping else mine


def owned_regions(terms: list[Cube], on: CubeSet) -> list[CubeSet]:
    """Per term of an irredundant cover, the ON words no other term holds (never empty)."""
    return [_owned(terms, index, on) for index in range(len(terms))]


def _region_sample(cubes: list[Cube], rng: random.Random, budget: int) -> list[int]:
    """About ``budget`` words of a region: its cubes' free bits all 0 and all 1 (up to half
    the budget, cubes in order), then patterns from ``rng`` in cubes taken at random."""
    words = _drawn(cubes[:max(budget // 4, 1)], rng, 0)
    while len(words) < budget and cubes:
        mask, value = rng.choice(cubes)
        words.append(value | (rng.getrandbits(32) & ~mask & WORD_ONES))
    return words


def _drawn(cubes: Iterable[Cube], rng: random.Random, count: int) -> list[int]:
    """Per cube, its free bits all 0, all 1 and ``count`` patterns from ``rng``."""
    words = []
    for mask, value in cubes:
        free = ~mask & WORD_ONES
        words += [value, value | free]
        words += [value | (rng.getrandbits(32) & free) for _ in range(count)]
    return words


def incompatible_witnesses(on: CubeSet, off: CubeSet, rng: random.Random, count: int,
                           target: int, time_limit: float = TIME_LIMIT, extra: Iterable[int] = (),
                           owned: Iterable[CubeSet] = ()) -> tuple[int, ...]:
    """A large set of pairwise incompatible words among candidates drawn from ON, sorted.

    Candidates, in order of preference: the ``extra`` words (a previous round's
    set); about the same number of words from each of the ``owned`` regions (per
    cover term, the ON words only it holds: a set as large as the cover has one
    word in each), at most OWN_REGION_WORDS; words of every ON cube: its free
    bits all 0, all 1 and ``count`` patterns from ``rng``. At most
    MAX_WITNESS_CANDIDATES: where a class does not fit in the room left, a
    seeded sample of it. A greedy pass (fewest compatible candidates first) over
    the preferred candidates alone, then over all of them, usually reaches
    ``target``; otherwise HiGHS searches for the largest set.
    """
    kept: set[int] = set(extra)
    owned = list(owned)
    budget = min(OWN_REGION_WORDS, (MAX_WITNESS_CANDIDATES - len(kept)) // max(len(owned), 1))
    owned_words = [w for region in owned for w in _region_sample(region.cubes, rng, budget)]
    classes = []
    for pool in (owned_words, _drawn(on.cubes, rng, count)):
        fresh = sorted(set(pool) - kept)
        room = MAX_WITNESS_CANDIDATES - len(kept)
        taken = fresh if len(fresh) <= room else rng.sample(fresh, room)
        kept.update(taken)
        classes.append(sorted(taken))
    if not off.cubes:
        return tuple(sorted(kept)[:1])
    off_masks, off_values = (a.astype(np.uint32) for a in off.arrays())
    # The preferred candidates alone first: their pairwise check is cheap and their
    # greedy set usually reaches the target; otherwise all candidates.
    candidates = sorted(set(extra)) + classes[0]
    compatible_with = _compatibility(candidates, off_masks, off_values)
    best = _greedy_independent(compatible_with)
    if len(best) < target and classes[1]:
        candidates += classes[1]
        compatible_with = _compatibility(candidates, off_masks, off_values)
        best = _greedy_independent(compatible_with)
    if len(best) < target and np.count_nonzero(compatible_with) <= 2 * MAX_EXACT_EDGES:
        best = max(best, _largest_independent(compatible_with, time_limit), key=len)
    return tuple(sorted(candidates[i] for i in best))


def _compatibility(words: list[int], off_masks: npt.NDArray[np.uint32],
                   off_values: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """Per pair of words: whether the smallest term holding both meets no OFF cube."""
    # Per word and OFF cube, the bits where the word differs from the cube's fixed
    # bits. The smallest term holding words a and b meets OFF cube o exactly when no bit
    # differs in both (a bit both differ on has a == b, so the term fixes it against o).
    differ = (np.array(words, dtype=np.uint32)[:, None] ^ off_values) & off_masks
    compatible_with = np.zeros((len(words), len(words)), dtype=bool)
    for i in range(len(words) - 1):
        meets_off = ((differ[i + 1:] & differ[i]) == 0).any(axis=1)
        compatible_with[i, i + 1:] = ~meets_off
    compatible_with |= compatible_with.T
    return compatible_with


def _greedy_independent(edges: npt.NDArray[np.bool_]) -> list[int]:
    """Pick the vertex with the fewest remaining neighbours, drop them, repeat."""
    alive = np.ones(len(edges), dtype=bool)
    picked = []
    while alive.any():
        degree = np.where(alive, (edges & alive).sum(axis=1), len(edges) + 1)
        vertex = int(np.argmin(degree))
        picked.append(vertex)
        alive &= ~edges[vertex]
        alive[vertex] = False
    return picked


def _largest_independent(edges: npt.NDArray[np.bool_], time_limit: float) -> list[int]:
    """A maximum independent set (HiGHS; the best found when time runs out)."""
    from scipy.sparse import coo_matrix

    pairs = np.argwhere(np.triu(edges, 1))
    if not len(pairs):
        return list(range(len(edges)))
    rows = np.repeat(np.arange(len(pairs)), 2)
    matrix = coo_matrix((np.ones(2 * len(pairs)), (rows, pairs.ravel())),
                        shape=(len(pairs), len(edges)))
    chosen, _ = _solve(-np.ones(len(edges)), matrix, -np.inf, 1, time_limit)
    return [] if chosen is None else chosen.tolist()
