"""a64fault: decode A64 instructions and classify memory faults.

The public API:

* ``classify(word)`` -> Classification (form, kind, feature, writes, size);
* ``classify_array(words)`` -> kind codes for a numpy uint32 array;
* ``decode(word_or_bytes, address=0)`` -> Capstone's ``Text`` (mnemonic, op_str;
  str() joins them), or None;
* ``decide(word, esr=None, *, el=0, aarch32=False, vma_writable=None,
  policy="atomic")`` -> Decision;
* ``upgrades(word, policy="atomic")`` -> bool, the hot path of a fault model;
* ``a64fault.esr.decode(esr)`` -> the named fields of an ESR_ELx value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .classify import Classification, classify
from .errors import InputError
from .kinds import Kind

if TYPE_CHECKING:
    import numpy.typing as npt

    from .decoder import Text
    from .decoder.disasm import WordOrBytes
    from .fault import Decision, decide
    from .kinds import KindCodes
    from .policies import POLICIES, upgrades

#: Public names imported on first use, so that ``a64fault scan`` and other
#: commands start without loading what they do not need. (``classify`` stays
#: eager: importing the submodule of that name would otherwise shadow the function.)
_LAZY = {"Decision": "fault", "decide": "fault", "POLICIES": "policies", "upgrades": "policies"}

__all__ = [
    "Classification", "Decision", "InputError", "Kind", "POLICIES",
    "classify", "classify_array", "decide", "decode", "upgrades",
]
__version__ = "0.1.0"


def decode(word_or_bytes: WordOrBytes, address: int = 0) -> Text | None:
    """Capstone's Text for one instruction (word or 4 little-endian bytes), or None."""
    from .decoder import decode as capstone_decode

    return capstone_decode(word_or_bytes, address)


def classify_array(words: npt.ArrayLike) -> KindCodes:
    """Kind codes (see kinds.KIND_CODES) for a numpy uint32 array of words."""
    from .vector import classify_array as vector_classify

    return vector_classify(words)


def __getattr__(name: str) -> object:
    import importlib

    if name == "esr":
        return importlib.import_module(".esr", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(name)
