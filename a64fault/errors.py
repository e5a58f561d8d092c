"""Bad input: the InputError exception, one-line error text, and opening input files safely.

The CLI turns an InputError into one stderr line and exit status 2.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, TypeAlias

#: A file name as os.open() takes it.
FileName: TypeAlias = "str | bytes | os.PathLike[str] | os.PathLike[bytes]"


class InputError(ValueError):
    """The user's input (text, file, address, ESR, option) cannot be used."""


#: Longest error line printed (a bad token can be kilobytes of piped binary).
MAX_ERROR_CHARS = 300


def shown(name: object) -> str:
    """``name`` (a path or any text) with control characters escaped (``\\n``, ``\\x1b``...),
    so a file called ``"no\\nsuch"`` stays on its error's one line."""
    text = os.fsdecode(name) if isinstance(name, (bytes, os.PathLike)) else str(name)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return repr(char)[1:-1]


def one_line(message: str) -> str:
    """``message`` as one printable line: whitespace runs folded to one space, other
    control characters escaped, cut to MAX_ERROR_CHARS."""
    line = shown(" ".join(str(message).split()))
    if len(line) > MAX_ERROR_CHARS:
        line = line[:MAX_ERROR_CHARS - 1] + "…"
    return line


def _with_article(noun: str) -> str:
    if noun.startswith(("a ", "an ")):
        return noun
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


@contextmanager
def reading(path: object, what: str = "file") -> Iterator[None]:
    """Turn the OSError of opening/reading ``path`` (a ``what``) into a one-line InputError."""
    name = shown(path)
    try:
        yield
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not {_with_article(what)}") from None
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as error:
        raise InputError(f"{name}: {error.strerror or error}") from None


def _file_type(mode: int) -> str:
    for test, noun in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return noun
    return "unknown type"


def _refuse_unless_readable(path: object, mode: int, what: str, devices: bool) -> None:
    if stat.S_ISREG(mode) or (devices and stat.S_ISCHR(mode)):
        return
    if stat.S_ISDIR(mode):
        raise InputError(f"{shown(path)}: is a directory, not a regular file: "
                         f"cannot be read as {_with_article(what)}")
    raise InputError(f"{shown(path)}: not a regular file ({_file_type(mode)}): "
                     f"cannot be read as {_with_article(what)}")


def open_input(path: FileName, what: str = "file", *, devices: bool = False) -> BinaryIO:
    """``path`` opened for binary reading, only if it is a regular file (or, with
    ``devices``, a character device: the caller then reads a bounded count).

    A FIFO, socket, directory or block device is refused with an InputError
    before any open() that could block: the file type is checked with stat(),
    then the file is opened non-blocking and checked again with fstat() (the
    name may have been replaced in between), and only then made blocking.
    Every other OSError becomes a one-line InputError naming the file.
    Use the result as a context manager.
    """
    try:
        encoded = os.fsencode(path)
    except UnicodeEncodeError:  # a lone surrogate no file system name decodes to
        raise InputError(f"{shown(path)}: not a file name this system can encode") from None
    if b"\x00" in encoded:  # os.stat() would raise ValueError
        raise InputError(f"{shown(path)}: a file name cannot hold a NUL character")
    with reading(path, what):
        _refuse_unless_readable(path, os.stat(path).st_mode, what, devices)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            _refuse_unless_readable(path, os.fstat(fd).st_mode, what, devices)
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
