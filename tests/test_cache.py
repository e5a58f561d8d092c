"""The on-disk table cache: entries verify, a damaged file is rebuilt, an
unwritable cache directory is not an error."""

import os

import pytest

from a64fault.patterns import TABLE_PATH, Table, cache, default_table, read_rows
from tests.cli import run_subprocess


@pytest.fixture
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv("A64FAULT_CACHE", str(tmp_path))
    return tmp_path


def test_an_entry_round_trips(cache_in):
    blobs = {"a": b"\x01\x02\x03", "b": bytes(range(256)) * 5}
    cache.store("t", "k1", blobs, {"n": 3})
    entry = cache.load("t", "k1")
    assert entry.meta == {"n": 3}
    assert {n: bytes(b) for n, b in entry.blobs.items()} == blobs
    assert cache.load("t", "other-key") is None


def test_cached_index_equals_a_fresh_build(cache_in):
    text = TABLE_PATH.read_text()
    fresh = Table(read_rows(text))
    key = cache.digest(text)
    assert cache.load("index", key) is None
    cache.store("index", key, {"index": fresh.index_array.tobytes()})
    assert bytes(cache.load("index", key).blobs["index"]) == fresh.index_array.tobytes()
    default_table.cache_clear()
    try:
        assert default_table().index_array == fresh.index_array
    finally:
        default_table.cache_clear()


@pytest.mark.parametrize("damage", ["garbage", "one-bit", "truncated", "empty"])
def test_a_damaged_entry_does_not_verify(cache_in, damage):
    cache.store("t", "k", {"a": bytes(range(200)) * 100})
    path = cache.path_of("t", "k")
    data = bytearray(path.read_bytes())
    if damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "one-bit":
        data[-1000] ^= 0x10
    elif damage == "truncated":
        data = data[:-1]
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert cache.load("t", "k") is None


def _cli(*args, env):
    """A fresh process: the tables are cached per process, the test is about the files."""
    return run_subprocess(*args, env=env)


def test_a_garbage_cache_file_of_the_same_size_is_rebuilt(cache_in):
    """Every cache file overwritten with random bytes of the same length: classify
    and scan still work, and the files are rewritten so that they verify."""
    env = dict(os.environ, A64FAULT_CACHE=str(cache_in))
    fixture = TABLE_PATH.parents[2] / "fixtures" / "elf" / "tiny-le"
    first = _cli("classify", "b8200041", env=env)
    assert first.returncode == 0
    _cli("scan", str(fixture), env=env)
    files = sorted(cache_in.glob("*.bin"))
    assert files
    for path in files:
        path.write_bytes(os.urandom(path.stat().st_size))
    again = _cli("classify", "b8200041", env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    scanned = _cli("scan", str(fixture), env=env)
    assert scanned.returncode == 0 and "atomic" in scanned.stdout and scanned.stderr == ""
    key = cache.digest(TABLE_PATH.read_text())
    for path in files:
        name = path.name.rsplit("-", 1)[0]
        assert cache.load(name, key) is not None, path


def test_unwritable_cache_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("A64FAULT_CACHE", str(blocker / "sub"))
    cache.store("t", "k", {"a": b"123"})
    assert cache.load("t", "k") is None
    env = dict(os.environ, A64FAULT_CACHE=str(blocker / "sub"))
    done = _cli("classify", "b8200041", env=env)
    assert done.returncode == 0 and done.stderr == ""


def test_the_key_follows_the_table_text():
    text = TABLE_PATH.read_text()
    key = cache.digest(text)
    assert cache.digest(text) == key and len(key) == 20
    others = {cache.digest(text + " "), cache.digest(text.replace("LDADD", "LDADE", 1)),
              cache.digest(text[:-1])}
    assert key not in others and len(others) == 3


def test_blobs_start_aligned_whatever_their_sizes(cache_in):
    """Blobs of odd sizes each start at a multiple of cache.ALIGN of the file,
    so numpy arrays over the vector tables' blobs are aligned."""
    numpy = pytest.importorskip("numpy")
    blobs = {"odd": b"\x07" * 3, "int16s": bytes(range(200)), "last": b"\x01" * 17}
    cache.store("t", "k2", blobs)
    entry = cache.load("t", "k2")
    assert {n: bytes(b) for n, b in entry.blobs.items()} == blobs
    first = numpy.frombuffer(entry.blobs["odd"], dtype=numpy.uint8).ctypes.data
    for blob in entry.blobs.values():
        offset = numpy.frombuffer(blob, dtype=numpy.uint8).ctypes.data - first
        assert offset % cache.ALIGN == 0
    assert cache.path_of("t", "k2").stat().st_size % cache.ALIGN == 0
    from a64fault import vector

    vector._default_vector_table.cache_clear()
    try:
        vector.vector_table()  # built and stored
        assert list(cache_in.glob("vector-*.bin"))
        vector._default_vector_table.cache_clear()
        table = vector.vector_table()  # read back from the cache
        assert all(getattr(table, name).flags["ALIGNED"]
                   for name in ("row_index", "sub_rows", "slot_of", "slot_start"))
    finally:
        vector._default_vector_table.cache_clear()


def test_a_fifo_or_an_empty_file_in_place_of_an_entry_is_no_entry(cache_in):
    """The entry is opened without blocking and used only as a regular file."""
    os.mkfifo(cache.path_of("t", "fifo"))
    assert cache.load("t", "fifo") is None  # returns at once: no writer needed
    cache.path_of("t", "empty").write_bytes(b"")
    assert cache.load("t", "empty") is None
