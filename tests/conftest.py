"""Test-wide settings: property tests are derandomized so every run checks the
same examples (deterministic CI), and write no example database."""

from hypothesis import settings

settings.register_profile("a64fault", derandomize=True, database=None)
settings.load_profile("a64fault")
