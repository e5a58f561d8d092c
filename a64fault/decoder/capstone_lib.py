"""Capstone's C library for A64, loaded without importing its Python binding.

``import capstone`` costs about 70 ms, most of a small scan's start: the
binding loads the constant modules of its twenty architectures and finds its
library through importlib.resources and sysconfig. A64 text and instruction
ids need only ``cs_open``, ``cs_disasm`` and ``cs_free`` and five fields of
``cs_insn``, so this module loads the library the binding ships
(``capstone/lib/libcapstone.so``, with RTLD_DEEPBIND as the binding does) and
reads the records itself.

The ``cs_insn`` layout below is that of Capstone's API 6.0. Where the library
is not beside the binding, reports another API version or is a "diet" build
(no text), the binding is imported and its own library handle and ``cs_insn``
layout are used instead, so a newer Capstone still decodes correctly, only
slower to start. tests/test_capstone_lib.py checks the layout and the
constants against the binding and the text against its ``disasm_lite``.
"""

from __future__ import annotations

import ctypes
import os
import sys
from functools import lru_cache
from typing import Any, NamedTuple

#: The API version whose ``cs_insn`` layout ``_Insn`` copies.
API = (6, 0)
CS_ARCH_AARCH64 = 1
CS_MODE_ARM = 0  # A64, little-endian
#: cs_support() query: a "diet" library, which makes no text.
CS_SUPPORT_DIET = 0xFFFF + 1
CS_ERR_OK = 0
#: AARCH64_INS_UDF of capstone.aarch64_const (API 6.0): ``udf``'s instruction id.
AARCH64_INS_UDF = 1284


class _Insn(ctypes.Structure):
    """``cs_insn`` of Capstone's API 6.0 (the detail pointer left untyped)."""

    _fields_ = (
        ("id", ctypes.c_uint),
        ("alias_id", ctypes.c_uint64),
        ("address", ctypes.c_uint64),
        ("size", ctypes.c_uint16),
        ("bytes", ctypes.c_ubyte * 24),
        ("mnemonic", ctypes.c_char * 32),
        ("op_str", ctypes.c_char * 160),
        ("is_alias", ctypes.c_bool),
        ("usesAliasDetails", ctypes.c_bool),
        ("illegal", ctypes.c_bool),
        ("detail", ctypes.c_void_p),
    )


class Layout(NamedTuple):
    """Where the fields this module reads sit in one ``cs_insn`` record (bytes)."""

    record_size: int
    id_at: int
    address_at: int
    size_at: int
    mnemonic_at: int
    mnemonic_size: int
    op_str_at: int
    op_str_size: int


def layout_of(insn_type: Any) -> Layout:
    """The Layout of a ctypes ``cs_insn`` structure (ours or the binding's).

    ``insn_type`` is a ctypes Structure class (Any: its fields are read as class
    attributes, ctypes field descriptors that type information does not describe)."""
    return Layout(ctypes.sizeof(insn_type), insn_type.id.offset, insn_type.address.offset,
                  insn_type.size.offset, insn_type.mnemonic.offset, insn_type.mnemonic.size,
                  insn_type.op_str.offset, insn_type.op_str.size)


class Engine:
    """One open Capstone handle for A64 and the layout of its records."""

    def __init__(self, lib: ctypes.CDLL, layout: Layout, udf: int, source: str) -> None:
        self.lib = lib
        self.layout = layout
        #: ``udf``'s instruction id.
        self.udf = udf
        #: "library" (loaded here) or "binding" (the Python binding's handle).
        self.source = source
        lib.cs_open.restype = ctypes.c_int
        lib.cs_open.argtypes = (ctypes.c_uint, ctypes.c_uint, ctypes.POINTER(ctypes.c_size_t))
        lib.cs_disasm.restype = ctypes.c_size_t
        lib.cs_disasm.argtypes = (ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                                  ctypes.c_uint64, ctypes.c_size_t,
                                  ctypes.POINTER(ctypes.c_void_p))
        lib.cs_free.restype = None
        lib.cs_free.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
        lib.cs_errno.restype = ctypes.c_int
        lib.cs_errno.argtypes = (ctypes.c_size_t,)
        self.handle = ctypes.c_size_t()
        status = lib.cs_open(CS_ARCH_AARCH64, CS_MODE_ARM, ctypes.byref(self.handle))
        if status != CS_ERR_OK:
            raise RuntimeError(f"Capstone's cs_open failed (error {status})")
        self._disasm = lib.cs_disasm
        self._free = lib.cs_free

    def another(self) -> Engine:
        """A new engine over the same library with a handle of its own, for
        another thread (a Capstone handle is not for two threads at once)."""
        return Engine(self.lib, self.layout, self.udf, self.source)

    def close(self) -> None:
        """Close the handle (an engine from another(); the shared one stays open)."""
        if self.handle.value:
            self.lib.cs_close.restype = ctypes.c_int
            self.lib.cs_close.argtypes = (ctypes.POINTER(ctypes.c_size_t),)
            self.lib.cs_close(ctypes.byref(self.handle))
            self.handle = ctypes.c_size_t()

    def _disasm_call(self, code: object, size: int, address: int,
                     count: int) -> tuple[int, ctypes.c_void_p]:
        """(n, pointer to Capstone's n records): the caller frees them with _free.

        ``code``: bytes, or a ctypes reference to ``size`` bytes (passed to C as it is)."""
        out = ctypes.c_void_p()  # one per call, not shared state of the engine
        n: int = self._disasm(self.handle, code, size, address, count, ctypes.byref(out))
        if not n:
            status = self.lib.cs_errno(self.handle)
            if status != CS_ERR_OK:
                raise RuntimeError(f"Capstone's cs_disasm failed (error {status})")
        return n, out

    def texts(self, code: object, size: int, address: int = 0,
              count: int = 0) -> list[tuple[int, int, str, str]]:
        """(address, size, mnemonic, op_str) as the binding's ``disasm_lite``
        gives them, for the instructions of ``code`` (bytes, or a ctypes
        pointer to ``size`` bytes) at ``address``, up to the first it cannot
        decode (at most ``count``; 0 = no limit)."""
        n, out = self._disasm_call(code, size, address, count)
        if not n:
            return []
        try:
            records = ctypes.string_at(out, n * self.layout.record_size)
        finally:
            self._free(out, n)
        (record_size, _id_at, address_at, size_at, mnemonic_at, mnemonic_size, op_str_at,
         op_str_size) = self.layout
        order = sys.byteorder
        from_bytes = int.from_bytes
        texts: list[tuple[int, int, str, str]] = []
        for base in range(0, n * record_size, record_size):
            mnemonic = records[base + mnemonic_at:base + mnemonic_at + mnemonic_size]
            op_str = records[base + op_str_at:base + op_str_at + op_str_size]
            texts.append((from_bytes(records[base + address_at:base + address_at + 8], order),
                        from_bytes(records[base + size_at:base + size_at + 2], order),
                        mnemonic.split(b"\0", 1)[0].decode("ascii"),
                        op_str.split(b"\0", 1)[0].decode("ascii")))
        return texts

    def ids(self, code: object, size: int) -> list[int]:
        """The instruction ids of the instructions of ``code`` (as for texts())
        up to the first that Capstone cannot decode, read in Capstone's memory."""
        n, out = self._disasm_call(code, size, 0, 0)
        if not n:
            return []
        record_size, id_at = self.layout.record_size, self.layout.id_at
        try:
            records = (ctypes.c_char * (n * record_size)).from_address(out.value or 0)
            view = memoryview(records).cast("B")
            if id_at % 4 == 0 and record_size % 4 == 0:
                return view[id_at:].cast("I")[::record_size // 4].tolist()
            return [int.from_bytes(view[b + id_at:b + id_at + 4], sys.byteorder)
                    for b in range(0, n * record_size, record_size)]
        finally:
            self._free(out, n)


def _library_path() -> str | None:
    """The binding's own copy of the library, found without importing the binding."""
    from importlib.util import find_spec

    try:
        spec = find_spec("capstone")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "lib", "libcapstone.so")
        if os.path.isfile(path):
            return path
    return None


def _own_library() -> ctypes.CDLL | None:
    """The library loaded here, if it is API 6.0 with text; else None."""
    if not sys.platform.startswith("linux"):
        return None
    path = _library_path()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_DEEPBIND", 0))
        major, minor = ctypes.c_int(), ctypes.c_int()
        lib.cs_version.argtypes = (ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
        lib.cs_version(ctypes.byref(major), ctypes.byref(minor))
        lib.cs_support.restype = ctypes.c_bool
        lib.cs_support.argtypes = (ctypes.c_int,)
        if (major.value, minor.value) != API or lib.cs_support(CS_SUPPORT_DIET):
            return None
    except (OSError, AttributeError):
        return None
    return lib


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The shared A64 engine: the library loaded here, else the binding's."""
    lib = _own_library()
    if lib is not None:
        return Engine(lib, layout_of(_Insn), AARCH64_INS_UDF, "library")
    return binding_engine()


def binding_engine() -> Engine:
    """An engine over the Python binding's library handle and ``cs_insn`` layout."""
    import capstone
    from capstone import aarch64_const

    capstone.Cs(CS_ARCH_AARCH64, CS_MODE_ARM)  # the binding's own version and diet checks
    # A CDLL of our own over the same library: the prototypes set here must
    # not replace those the binding set on its functions.
    lib = ctypes.CDLL(capstone._cs._name, mode=getattr(os, "RTLD_DEEPBIND", 0))
    return Engine(lib, layout_of(capstone._cs_insn), aarch64_const.AARCH64_INS_UDF, "binding")
