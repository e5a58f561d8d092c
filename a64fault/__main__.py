"""``python -m a64fault``: the same entry point as the ``a64fault`` console script."""

from .cli import main

main()
