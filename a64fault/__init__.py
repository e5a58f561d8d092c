"""a64fault: decode A64 instructions and classify memory faults.

The public API:

* ``classify(word)`` -> Classification (form, kind, feature, writes, size);
* ``decode(word_or_bytes, address=0)`` -> Capstone text, or None;
* ``decide(word, esr=None, *, el=0, aarch32=False, vma_writable=None,
  policy="atomic")`` -> Decision;
* ``upgrades(word, policy="atomic")`` -> bool, the hot path of a fault model;
* ``esr.decode(esr)`` -> the named fields of an ESR_ELx value.
"""

from .classify import Classification, classify
from .kinds import Kind

__all__ = ["Classification", "Kind", "classify"]
__version__ = "0.1.0"
