"""Exceptions for bad input, turned by the CLI into one stderr line and exit status 2."""


class InputError(ValueError):
    """The user's input (text, file, address, ESR, option) cannot be used."""
