"""Exceptions for bad input, turned by the CLI into one stderr line and exit status 2."""

from contextlib import contextmanager


class InputError(ValueError):
    """The user's input (text, file, address, ESR, option) cannot be used."""


def _with_article(noun: str) -> str:
    if noun.startswith(("a ", "an ")):
        return noun
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


@contextmanager
def reading(path, what: str = "file"):
    """Turn the OSError of opening/reading ``path`` (a ``what``) into a one-line InputError."""
    try:
        yield
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not {_with_article(what)}") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as error:
        raise InputError(f"{path}: {error.strerror or error}") from None
