"""Generated decode predicates: a minimum ``(insn & MASK) == VALUE`` OR for a policy.

The library API (the ``a64fault predicate`` command and the kernel-patch
generator use it):

* ``generate(policy="atomic", kinds=None, dont_care="non-memory")`` ->
  ``GeneratedPredicate``: the terms (mask, value, forms, features), ``optimal`` and its
  certificate, the table's hash; deterministic, cached per process;
* ``render(predicate, lang="kernel", name=None, vectors=None)`` -> source
  text in ``c``, ``kernel``, ``rust``, ``go`` or ``python``;
* ``vectors_for(predicate)`` -> corpus test vectors (word, expected, asm);
* ``kernel_source(policy="atomic", name=None, dont_care="non-memory",
  tests=False)`` -> ``(text, predicate)``: the Linux-style C function
  (``static __always_inline bool NAME(u32 insn)``) and its terms;
* ``verify(predicate)`` / ``verify_c(predicate)`` -> ``Proof``: the counts
  over all 2**32 words (numpy; the emitted C compiled with a harness).

Modules: sets (ON/OFF/don't-care cube sets from the table), cover (primes,
minimum cover, optimality certificate), build (GeneratedPredicate), emit (languages),
vectors (corpus test vectors), proof (exhaustive proofs), compare (against kernel-v5).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .build import GeneratedPredicate, Term, check_name, generate, parse_kinds
from .emit import DEFAULT_LANGUAGE, LANGUAGES, render
from .sets import DEFAULT_DONT_CARE, DONT_CARE_MODES, policy_sets
from .vectors import Vector, test_vectors

if TYPE_CHECKING:
    from .proof import Proof

__all__ = [
    "DEFAULT_DONT_CARE", "DEFAULT_LANGUAGE", "DONT_CARE_MODES", "LANGUAGES", "GeneratedPredicate", "Term",
    "Vector", "check_name", "generate", "kernel_source", "parse_kinds", "policy_sets", "render",
    "vectors_for", "verify", "verify_c",
]


def vectors_for(predicate: GeneratedPredicate, path: Path | None = None) -> tuple[Vector, ...]:
    """Corpus words ON and OFF for ``predicate``'s policy, with their assembly text."""
    sets = policy_sets(predicate.kinds, predicate.dont_care)
    return test_vectors(predicate.kinds, sets.on, sets.off, path)


def kernel_source(policy: str = "atomic", *, name: str | None = None,
                  dont_care: str = DEFAULT_DONT_CARE, tests: bool = False
                  ) -> tuple[str, GeneratedPredicate]:
    """The Linux-kernel C text of the predicate for ``policy``, and the GeneratedPredicate itself.

    The text is one ``static __always_inline bool NAME(u32 insn)`` with its
    header comment (no #include: it goes into a kernel header such as
    arch/arm64/include/asm/insn.h); ``tests=True`` appends the corpus
    vectors as ``static const struct NAME_vector NAME_vectors[]``.
    """
    predicate = generate(policy, dont_care=dont_care)
    vectors = vectors_for(predicate) if tests else None
    return render(predicate, "kernel", name, vectors), predicate


def verify(predicate: GeneratedPredicate, threads: int | None = None) -> Proof:
    """The numpy proof of ``predicate`` over all 2**32 words (see proof.Proof)."""
    from .proof import verify as numpy_proof

    return numpy_proof([(t.mask, t.value) for t in predicate.terms], predicate.kinds,
                       predicate.dont_care, threads)


def verify_c(predicate: GeneratedPredicate, threads: int | None = None) -> Proof | None:
    """The C proof of ``predicate``'s ``c`` output over all 2**32 words; None without cc."""
    from .proof import verify_c as c_proof

    name = predicate.default_name()
    return c_proof(render(predicate, "c", name), name, predicate.kinds, predicate.dont_care,
                   threads)
