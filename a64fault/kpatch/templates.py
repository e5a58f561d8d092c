"""The C, make and text templates of the patch (a64fault/kpatch/templates/)."""

from __future__ import annotations

import re
from importlib import resources

PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def render(name: str, **values: str) -> str:
    """Template ``name`` with each ``@NAME@`` replaced by ``values[NAME]`` (all must be given)."""
    text = resources.files(__package__).joinpath("templates").joinpath(name).read_text(encoding="utf-8")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
