"""a64fault.measure: the probe's report parser and the comparison with the model,
on console output recorded from real kernels (tests/data/measure/README.md says
which kernel and command produced each file), plus the pieces around them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from a64fault import InputError
from a64fault.measure import Job, compare, cpio, initramfs, jobs_for, parse, parse_mthp
from a64fault.measure.compare import compare_run
from a64fault.measure.counters import COUNTERS
from a64fault.measure.qemu import check_single_threaded, command

DATA = Path(__file__).parent / "data" / "measure"
BOOKWORM = DATA / "bookworm-6.1-lse-memset-64M.console"


def console(name: Path = BOOKWORM) -> str:
    return name.read_text()


# -- the report parser ---------------------------------------------------------------

def test_parse_reads_the_system_line_and_every_run():
    report = parse(console())
    assert report.release == "6.1.0-57-arm64"
    assert (report.page_size, report.pmd_size) == (4096, 2 << 20)
    assert [(r["workload"], r["thp"]) for r in report.runs] == [
        ("pretouch-lse", "never"), ("pretouch-lse", "always"), ("memset", "never"),
        ("memset", "always")]
    # The kernel's own numbers, as recorded (unpatched 6.1, 4K pages, 64 MiB).
    assert [r["counters"]["minflt"] for r in report.runs] == [32768, 16416, 16384, 32]
    assert report.runs[1]["counters"]["thp_split_pmd"] == 32
    assert report.runs[3]["mapping"]["folios"] == {"2048": 32}


def test_parse_skips_kernel_messages_between_report_lines():
    lines = console().splitlines()
    noisy = "\n".join(x for line in lines for x in (line, "[   12.345678] random: crng init done"))
    assert parse(noisy).runs == parse(console()).runs


@pytest.mark.parametrize("cut, message", [
    (lambda text: text.replace("A64FAULT-BEGIN", ""), "no probe report"),
    (lambda text: text[:text.index('{"kind":"run","index":3')], "cut short"),
    (lambda text: text.replace('{"kind":"run","index":2', '{"kind":"run","index":2,', 1), "bad probe"),
    (lambda text: "\n".join(line for line in text.splitlines() if '"index":3' not in line),
     "3 runs of 4"),
    (lambda text: "kernel panic - not syncing", "no probe report"),
])
def test_parse_rejects_an_incomplete_report(cut, message):
    with pytest.raises(InputError, match=message):
        parse(cut(console()))


def test_parse_accepts_every_run_without_the_end_marker():
    # Seen once: the machine powered off before the console sent the last line.
    text = console()
    assert parse(text[:text.index("A64FAULT-END")]).runs == parse(text).runs


def test_parse_reports_a_probe_error():
    text = console().replace('"workload":"memset","size_bytes":67108864,"thp":"always"',
                             '"workload":"memset","error":"mmap failed: errno 12","thp":"always"')
    with pytest.raises(InputError, match="mmap failed"):
        parse(text)


# -- the comparison ----------------------------------------------------------------------

def test_recorded_6_1_runs_match_the_model_count_for_count():
    results = compare(parse(console()))
    assert len(results) == 4
    for result in results:
        assert result.model_kernel == "6.1"
        assert result.equal, (result.workload, result.thp, result.differences())
        assert result.measured["minflt"] == result.model["minflt"]


def test_a_changed_count_is_a_difference():
    report = parse(console())
    run = json.loads(json.dumps(report.runs[1]))
    run["counters"]["thp_split_pmd"] = 31
    result = compare_run(run, report)
    assert not result.equal
    assert result.differences() == ["thp_split_pmd"]
    assert result.as_json()["equal"] is False


def test_the_unpatched_kernel_is_not_the_atomic_policy():
    # The comparison tells policies apart: 6.1 takes the double fault, so the
    # model's atomic policy (one write fault per page) differs where atomics run.
    results = {(r.workload, r.thp): r for r in compare(parse(console()), policy="atomic")}
    lse = results["pretouch-lse", "never"]
    assert not lse.equal and lse.policy == "atomic"
    assert lse.measured["minflt"] == 32768 and lse.model["minflt"] == 16384
    assert results["memset", "never"].equal  # a plain store is not upgraded
    assert lse.as_json()["policy"] == "atomic"


def test_json_carries_the_documented_keys():
    data = compare(parse(console()))[1].as_json()
    assert {"kernel", "page_size", "workload", "thp", "size_bytes", "measured", "model",
            "equal"} <= set(data)
    assert data["kernel"] == "6.1.0-57-arm64" and data["page_size"] == 4096
    assert data["measured"]["minflt"] == 16416


def test_every_counter_reads_a_recorded_run():
    report = parse(console())
    for counter in COUNTERS:
        assert counter.measured(report.runs[0], report.page_size, report.pmd_size) is not None


# -- jobs, initramfs, QEMU command -------------------------------------------------------

def test_job_lines_are_what_the_probe_reads():
    job = Job("memset", 64 << 20, "never", mthp={64: "always", 32: "never"})
    assert job.line() == "memset 67108864 never 0 32=never 64=always"
    assert [j.line() for j in jobs_for(["memset"], [4096], ["never", "always"])] == [
        "memset 4096 never 0", "memset 4096 always 0"]


@pytest.mark.parametrize("bad", [dict(workload="nope"), dict(thp="sometimes"), dict(size=0),
                                 dict(mthp={48: "always"}), dict(mthp={64: "often"})])
def test_bad_jobs_are_input_errors(bad):
    with pytest.raises(InputError):
        Job(**{"workload": "memset", "size": 4096, **bad})


def test_job_count_is_bounded():
    with pytest.raises(InputError, match="1 to 256"):
        initramfs.build([Job("memset", 4096)] * 257, probe=b"")
    with pytest.raises(InputError, match="1 to 256"):
        initramfs.build([], probe=b"")


def test_parse_mthp():
    assert parse_mthp(["64K=always", "2M=inherit,16k=never"]) == {
        64: "always", 2048: "inherit", 16: "never"}
    for bad in ("64K", "48K=always", "64K=often"):
        with pytest.raises(InputError):
            parse_mthp([bad])


@pytest.mark.skipif(shutil.which("cpio") is None, reason="the cpio tool is not installed")
def test_initramfs_is_a_newc_archive_cpio_reads(tmp_path):
    jobs = [Job("memset", 4096, "never")]
    archive = tmp_path / "initramfs.cpio"
    archive.write_bytes(initramfs.build(jobs, probe=b"\x7fELF probe"))
    listed = subprocess.run(["cpio", "-it", "--quiet", "-F", str(archive)],
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed == ["dev", "dev/console", "proc", "sys", "init", "jobs"]
    verbose = subprocess.run(["cpio", "-itv", "--quiet", "-F", str(archive)],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    assert verbose[1].startswith("crw-------") and "5,   1" in verbose[1]
    assert verbose[4].startswith("-rwxr-xr-x")
    for name, data in (("jobs", b"memset 4096 never 0\n"), ("init", b"\x7fELF probe")):
        out = subprocess.run(["cpio", "-i", "--quiet", "--to-stdout", "-F", str(archive), name],
                             capture_output=True, check=True).stdout
        assert out == data


def test_cpio_members_are_padded_to_four_bytes():
    data = cpio.archive([cpio.regular("a", b"xyz")])
    assert len(data) % 4 == 0 and data.startswith(b"070701") and b"TRAILER!!!" in data


def test_qemu_command_is_single_threaded_tcg(tmp_path):
    argv = command(tmp_path / "Image", tmp_path / "initrd")
    assert argv[argv.index("-accel") + 1] == "tcg,thread=single"
    assert argv[argv.index("-smp") + 1] == "1"
    assert argv[argv.index("-append") + 1] == "console=ttyAMA0 rdinit=/init loglevel=1 panic=-1"


def test_qemu_command_appends_kernel_parameters(tmp_path):
    argv = command(tmp_path / "Image", tmp_path / "initrd", append="foo.switch=0")
    assert argv[argv.index("-append") + 1].endswith(" panic=-1 foo.switch=0")
    with pytest.raises(InputError, match="one line"):
        command(tmp_path / "Image", tmp_path / "initrd", append="a\nb")


@pytest.mark.parametrize("extra", [("-accel", "tcg,thread=multi"), ("-smp", "4"),
                                   ("-M", "virt,accel=tcg,thread=multi")])
def test_multi_threaded_tcg_is_refused(extra):
    with pytest.raises(InputError, match="single-threaded TCG"):
        check_single_threaded(extra)


# -- the 7.2 recordings ----------------------------------------------------------------

def test_recorded_7_2_runs_match_the_model_count_for_count():
    results = compare(parse(console(DATA / "sid-7.2-4k-64M.console")))
    assert len(results) == 8
    for result in results:
        assert result.model_kernel == "7.2"
        assert result.equal, (result.workload, result.thp, result.differences())
    lse_always = results[1].measured
    # 6.13 and later: a write to the huge zero page allocates a THP instead of splitting.
    assert (lse_always["minflt"], lse_always["thp_fault_alloc"], lse_always["thp_split_pmd"]) == (
        64, 32, 0)
    llsc_never = results[2].measured
    assert llsc_never["llsc_retries"] == 16384


def test_recorded_7_2_mthp_runs():
    report = parse(console(DATA / "sid-7.2-4k-mthp64K-64M.console"))
    assert report.system["mthp_sizes_kb"] == [16, 32, 64, 128, 256, 512, 1024, 2048]
    lse, memset = report.runs
    assert lse["settings"]["hugepages-64kB"] == "always" and lse["settings"]["enabled"] == "never"
    # memset: one fault per 64K folio; the stadd pretouch: two per 4K page, no large folio.
    assert (memset["counters"]["minflt"], memset["mapping"]["folios"]) == (1024, {"64": 1024})
    assert memset["mthp_stats"]["64"] == {"anon_fault_alloc": 1024}
    assert (lse["counters"]["minflt"], lse["mapping"]["folios"]) == (32768, {})
    results = compare(report)
    assert all(result.equal for result in results), [r.differences() for r in results]
    assert ("mthp_alloc[64K]", 1024, 1024) in results[1].counters
    assert ("mthp_folios[64K]", 1024, 1024) in results[1].counters


def test_recorded_16k_runs():
    report = parse(console(DATA / "sid-7.2-16k-64M.console"))
    assert (report.page_size, report.pmd_size) == (16384, 32 << 20)
    counts = [(r["workload"], r["thp"], r["counters"]["minflt"], r["counters"]["thp_fault_alloc"])
              for r in report.runs]
    assert counts == [("pretouch-lse", "never", 8192, 0), ("pretouch-lse", "always", 4, 2),
                      ("memset", "never", 4096, 0), ("memset", "always", 2, 2)]
    results = compare(report)
    assert all(result.equal for result in results), [r.differences() for r in results]


# -- the command line ------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["-w", "memset"], "exactly one of --kernel-image PATH or --native"),
    (["-w", "memset", "--native", "--kernel-image", "x"], "exactly one of"),
    (["-w", "nope", "--native"], "unknown workload 'nope'"),
    (["-w", "memset", "--thp", "sometimes", "--native"], "unknown THP mode"),
    (["-w", "memset", "--mthp", "48K=always", "--native"], "bad --mthp"),
    (["-w", "memset", "--kernel-image", "/nonexistent/Image"], "no kernel image at"),
    (["-w", "memset", "--native", "--policy", "sometimes"], "unknown policy"),
    (["-w", "memset", "--native", "--append", "x=1"], "--append goes with --kernel-image"),
])
def test_measure_bad_input_is_one_line_and_status_2(cli, args, message):
    done = cli("measure", *args)
    assert done.returncode == 2
    assert done.stderr.startswith("a64fault: error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1


@pytest.mark.skipif(__import__("platform").machine() in ("aarch64", "arm64"),
                    reason="this host is arm64: --native would run")
def test_measure_native_needs_an_arm64_host(cli):
    done = cli("measure", "-w", "memset", "--native")
    assert done.returncode == 2 and "needs an arm64 Linux host" in done.stderr


# -- the full matrix, as recorded by bench/bench_kernel.py ------------------------------

MATRIX = sorted((DATA / "matrix").glob("*.console"))


@pytest.mark.parametrize("path", MATRIX, ids=[p.stem for p in MATRIX])
def test_recorded_matrix_matches_the_model_count_for_count(path):
    report = parse(path.read_text())
    results = compare(report)
    assert len(results) == len(report.runs) >= 12
    different = [(r.workload, r.size_bytes >> 20, r.thp, r.differences(), r.model_error)
                 for r in results if not r.equal]
    assert not different
    assert all(run["decoy_below"] for run in report.runs)
