/*
 * a64fault probe: run the fault model's built-in workloads on a real arm64
 * Linux kernel and report what the kernel did, one JSON line per run.
 *
 * Build: python probe/build.py, which runs python -m ziglang cc -target
 *   aarch64-linux-musl -static -O2 -mcpu=generic+lse -s and writes the
 *   committed binary a64fault/measure/probe-aarch64.
 *
 * Jobs: one per line, "WORKLOAD SIZE THP [STRIDE] [MTHP_KB=MODE ...]", taken
 * from argv (each argument one job), else the file /jobs, else the kernel
 * command line parameter a64fault.jobs= (';' between jobs, ',' for spaces).
 * WORKLOAD is a built-in workload name or "none" (map, touch nothing, unmap);
 * SIZE is bytes; THP is never|madvise|always|keep; STRIDE is bytes (0 or
 * absent: the page size); MTHP_KB=MODE sets hugepages-<KB>kB/enabled
 * (every size not named is reset to its boot default: the PMD size
 * "inherit", the others "never").
 *
 * Output on stdout (the console when run as /init), each line prefixed so
 * that interleaved kernel messages cannot break it:
 *   A64FAULT-BEGIN
 *   A64FAULT {"kind":"system",...}     kernel release, page size, PMD size, settings
 *   A64FAULT {"kind":"run",...}        one per job
 *   A64FAULT-END
 *
 * Each workload runs exactly the instructions of a64fault/model/workloads.py
 * (inline asm, fixed registers x0/w8/w9), once per stride step, over a fresh
 * private anonymous mapping aligned to the PMD size. The counters are read
 * around the mapping and the workload only; the probe's own pages are
 * locked (mlockall) and its code paths warmed up first, so the "none"
 * workload reports zero faults.
 *
 * As PID 1 it mounts proc and sysfs, and powers the machine off at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define MAX_LINE 4096
#define MAX_JOBS 256
#define MAX_SIZES 16
#define MAX_STATS 32
#define BUF_SIZE (256 * 1024)

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP 22
#define KPF_ZERO_PAGE 24
/* /proc/pid/pagemap bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* Event counters reported from /proc/vmstat (deltas over the run). Only events:
 * the nr_* gauges drift with per-CPU batching. */
static const char *const VMSTAT_EVENTS[] = {
    "pgfault", "pgmajfault", "thp_fault_alloc", "thp_fault_fallback",
    "thp_fault_fallback_charge", "thp_split_pmd", "thp_split_page",
    "thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_zero_page_alloc",
    "thp_zero_page_alloc_failed", "thp_deferred_split_page",
};
#define N_EVENTS (sizeof VMSTAT_EVENTS / sizeof VMSTAT_EVENTS[0])

static char buf[BUF_SIZE];          /* file contents; static and locked: no faults */
static char out[BUF_SIZE];          /* the JSON line being built */
static size_t out_len;
static char job_text[BUF_SIZE];
static uint64_t pagemap_buf[8192];
static uint64_t flags_buf[8192];

struct mthp_size { unsigned kb; char name[64]; };
static struct mthp_size sizes[MAX_SIZES];
static int n_sizes;
static long page_size, pmd_size;

struct snapshot {
    struct rusage ru;
    long long events[N_EVENTS];
    long long mthp[MAX_SIZES][MAX_STATS];
};
static char mthp_stat_names[MAX_STATS][48];
static int n_mthp_stats;

/* ---- output ------------------------------------------------------------- */

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + out_len, sizeof out - out_len, fmt, ap);
    va_end(ap);
    if (n > 0) out_len += (size_t)n < sizeof out - out_len ? (size_t)n : sizeof out - out_len - 1;
}

static void flush_line(void)
{
    out[out_len++] = '\n';
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(1, out + done, out_len - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    out_len = 0;
}

static void print_text(const char *s)
{
    out_len = 0;
    emit("%s", s);
    flush_line();
}

/* JSON string: job text and sysfs values only, escape quotes and controls. */
static void emit_str(const char *s)
{
    emit("\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') emit("\\%c", *s);
        else if ((unsigned char)*s < 0x20) emit("\\u%04x", *s);
        else emit("%c", *s);
    }
    emit("\"");
}

/* ---- files -------------------------------------------------------------- */

static long read_file(const char *path, char *into, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, into + got, cap - 1 - got);
        if (n <= 0) break;
        got += (size_t)n;
        if (got == cap - 1) break;
    }
    close(fd);
    into[got] = 0;
    return (long)got;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int err = n < 0 ? -errno : 0;
    close(fd);
    return err;
}

/* The selected word of a sysfs mode file ("always [madvise] never" -> madvise). */
static void read_mode(const char *path, char *mode, size_t cap)
{
    mode[0] = 0;
    if (read_file(path, buf, sizeof buf) < 0) { snprintf(mode, cap, "absent"); return; }
    char *open_b = strchr(buf, '['), *close_b = open_b ? strchr(open_b, ']') : NULL;
    if (open_b && close_b) {
        size_t n = (size_t)(close_b - open_b - 1);
        if (n >= cap) n = cap - 1;
        memcpy(mode, open_b + 1, n);
        mode[n] = 0;
    } else {
        size_t n = strcspn(buf, "\n");
        if (n >= cap) n = cap - 1;
        memcpy(mode, buf, n);
        mode[n] = 0;
    }
}

/* ---- counters ----------------------------------------------------------- */

static void find_mthp_sizes(void)
{
    /* hugepages-<KB>kB directories exist for every order the kernel allows an
     * anonymous mTHP (6.8+); probe the powers of two from 2 pages up. */
    n_sizes = 0;
    for (unsigned long kb = (unsigned long)page_size / 512; kb <= 16UL * 1024 * 1024 && n_sizes < MAX_SIZES; kb *= 2) {
        char path[128];
        snprintf(path, sizeof path, THP_DIR "/hugepages-%lukB/enabled", kb);
        if (access(path, F_OK) == 0) {
            sizes[n_sizes].kb = (unsigned)kb;
            snprintf(sizes[n_sizes].name, sizeof sizes[n_sizes].name, "hugepages-%lukB", kb);
            n_sizes++;
        }
    }
    /* Stat names: the per-size event counters kernels since 6.9 may have (absent
     * ones read as -1); not the nr_anon gauges. */
    static const char *const names[] = {
        "anon_fault_alloc", "anon_fault_fallback", "anon_fault_fallback_charge",
        "zswpout", "swpin", "swpout", "swpout_fallback", "shmem_alloc",
        "shmem_fallback", "shmem_fallback_charge", "split", "split_failed",
        "split_deferred",
    };
    n_mthp_stats = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n_mthp_stats < MAX_STATS; i++)
        snprintf(mthp_stat_names[n_mthp_stats++], sizeof mthp_stat_names[0], "%s", names[i]);
}

static long long vmstat_value(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = text; *p;) {
        if (!strncmp(p, name, len) && p[len] == ' ') return atoll(p + len + 1);
        p = strchr(p, '\n');
        if (!p) break;
        p++;
    }
    return -1;
}

static void snap(struct snapshot *s)
{
    if (read_file("/proc/vmstat", buf, sizeof buf) < 0) buf[0] = 0;
    for (size_t i = 0; i < N_EVENTS; i++) s->events[i] = vmstat_value(buf, VMSTAT_EVENTS[i]);
    for (int z = 0; z < n_sizes; z++)
        for (int k = 0; k < n_mthp_stats; k++) {
            char path[160];
            snprintf(path, sizeof path, THP_DIR "/%s/stats/%s", sizes[z].name, mthp_stat_names[k]);
            s->mthp[z][k] = read_file(path, buf, sizeof buf) < 0 ? -1 : atoll(buf);
        }
    getrusage(RUSAGE_SELF, &s->ru);
}

/* ---- the workloads: exactly the model's instructions -------------------- */

static uint64_t run_workload(const char *name, char *base, size_t size, size_t stride, int *known)
{
    uint64_t retries = 0;
    *known = 1;
    if (!strcmp(name, "none")) return 0;
    if (!strcmp(name, "madv-populate-write")) {
        if (madvise(base, size, MADV_POPULATE_WRITE)) *known = -errno;
        return 0;
    }
    for (size_t off = 0; off < size; off += stride) {
        register char *x0 __asm__("x0") = base + off;
        if (!strcmp(name, "pretouch-lse")) {
            __asm__ volatile("stadd wzr, [x0]" : : "r"(x0) : "memory");
        } else if (!strcmp(name, "pretouch-llsc")) {
            uint64_t r = 0;
            __asm__ volatile(
                "1: ldxr w8, [x0]\n"
                "   add w8, w8, #0\n"
                "   stxr w9, w8, [x0]\n"
                "   cbz w9, 2f\n"
                "   add %[r], %[r], #1\n"
                "   b 1b\n"
                "2:\n"
                : [r] "+r"(r) : "r"(x0) : "x8", "x9", "memory");
            retries += r;
        } else if (!strcmp(name, "memset")) {
            __asm__ volatile("str xzr, [x0]" : : "r"(x0) : "memory");
        } else if (!strcmp(name, "populate-read")) {
            __asm__ volatile("ldrb w8, [x0]" : : "r"(x0) : "x8", "memory");
        } else if (!strcmp(name, "read-then-write")) {
            __asm__ volatile("ldr x8, [x0]\n str x8, [x0]" : : "r"(x0) : "x8", "memory");
        } else {
            *known = 0;
            return 0;
        }
    }
    return retries;
}

/* ---- the final mapping -------------------------------------------------- */

struct mapping {
    long present, zero, huge_zero, anon_private;
    long folios[24];        /* private large folios by order, counted at their head */
    long anon_huge_kb;      /* smaps AnonHugePages of the mapping: PMD-mapped THPs */
    int pagemap_ok, flags_ok;
};

static void scan_mapping(char *base, size_t size, struct mapping *m)
{
    memset(m, 0, sizeof *m);
    int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
    m->pagemap_ok = pm >= 0;
    m->flags_ok = kf >= 0;
    size_t pages = size / (size_t)page_size;
    size_t chunk = sizeof pagemap_buf / sizeof pagemap_buf[0];
    uint64_t run_pfn = 0; long run_len = 0; int in_folio = 0;
    for (size_t first = 0; pm >= 0 && first < pages; first += chunk) {
        size_t n = pages - first < chunk ? pages - first : chunk;
        off_t at = (off_t)(((uintptr_t)base / (uintptr_t)page_size + first) * 8);
        if (pread(pm, pagemap_buf, n * 8, at) != (ssize_t)(n * 8)) { m->pagemap_ok = 0; break; }
        for (size_t i = 0; i < n; i++) {
            uint64_t e = pagemap_buf[i];
            flags_buf[i] = 0;
            if (!(e & PM_PRESENT)) { in_folio = 0; continue; }
            m->present++;
            uint64_t pfn = e & PM_PFN_MASK;
            if (kf < 0 || !pfn) continue;
            uint64_t f;
            if (pread(kf, &f, 8, (off_t)(pfn * 8)) != 8) { m->flags_ok = 0; continue; }
            if (f & (1ULL << KPF_ZERO_PAGE)) {
                if (f & (1ULL << KPF_THP)) m->huge_zero++; else m->zero++;
                in_folio = 0;
                continue;
            }
            m->anon_private++;
            if (f & (1ULL << KPF_COMPOUND_HEAD)) {
                if (in_folio && run_len > 1) {
                    int order = 0; while ((1L << order) < run_len) order++;
                    m->folios[order]++;
                }
                in_folio = 1; run_pfn = pfn; run_len = 1;
            } else if ((f & (1ULL << KPF_COMPOUND_TAIL)) && in_folio && pfn == run_pfn + (uint64_t)run_len) {
                run_len++;
            } else {
                if (in_folio && run_len > 1) {
                    int order = 0; while ((1L << order) < run_len) order++;
                    m->folios[order]++;
                }
                in_folio = 0; run_len = 0;
            }
        }
    }
    if (in_folio && run_len > 1) {
        int order = 0; while ((1L << order) < run_len) order++;
        m->folios[order]++;
    }
    if (pm >= 0) close(pm);
    if (kf >= 0) close(kf);

    /* AnonHugePages of the mapping's smaps entry: bytes mapped by PMDs. */
    m->anon_huge_kb = -1;
    if (read_file("/proc/self/smaps", buf, sizeof buf) > 0) {
        char head[64];
        snprintf(head, sizeof head, "%lx-", (unsigned long)(uintptr_t)base);
        char *at = strstr(buf, head);
        if (at && (at == buf || at[-1] == '\n')) {
            char *next = strstr(at + 1, "\n");
            char *ahp = strstr(at, "AnonHugePages:");
            /* the field must belong to this entry: before the next "xxx-yyy " header */
            char *end = next;
            while (end && *end) {
                char *line = end + 1;
                char *dash = strchr(line, '-');
                char *nl = strchr(line, '\n');
                if (dash && nl && dash < nl && dash > line && strchr("0123456789abcdef", line[0])
                    && strspn(line, "0123456789abcdef") == (size_t)(dash - line)) break;
                end = nl;
            }
            if (ahp && (!end || !*end || ahp < end)) m->anon_huge_kb = atol(ahp + 14);
        }
    }
}

/* ---- settings ----------------------------------------------------------- */

static void emit_settings(void)
{
    char mode[64];
    static const char *const files[] = {
        "enabled", "defrag", "use_zero_page", "khugepaged/defrag",
        "khugepaged/scan_sleep_millisecs", "khugepaged/pages_to_scan", "khugepaged/max_ptes_none",
        "hpage_pmd_size",
    };
    emit("\"settings\":{");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[160];
        snprintf(path, sizeof path, THP_DIR "/%s", files[i]);
        read_mode(path, mode, sizeof mode);
        emit("%s\"%s\":", i ? "," : "", files[i]);
        emit_str(mode);
    }
    for (int z = 0; z < n_sizes; z++) {
        char path[160];
        snprintf(path, sizeof path, THP_DIR "/%s/enabled", sizes[z].name);
        read_mode(path, mode, sizeof mode);
        emit(",\"%s\":", sizes[z].name);
        emit_str(mode);
    }
    emit("}");
}

/* Apply a job's THP and mTHP modes; returns a count of failed writes. */
static int apply_modes(const char *thp, char **mthp, int n_mthp)
{
    int failed = 0;
    char path[160];
    if (strcmp(thp, "keep")) {
        failed += write_file(THP_DIR "/enabled", thp) != 0;
        for (int z = 0; z < n_sizes; z++) {
            const char *mode = (long)sizes[z].kb * 1024 == pmd_size ? "inherit" : "never";
            for (int j = 0; j < n_mthp; j++) {
                char *eq = strchr(mthp[j], '=');
                if (eq && (unsigned)atol(mthp[j]) == sizes[z].kb) mode = eq + 1;
            }
            snprintf(path, sizeof path, THP_DIR "/%s/enabled", sizes[z].name);
            failed += write_file(path, mode) != 0;
        }
    }
    return failed;
}

/* khugepaged would collapse page tables behind the workload's back. Two
 * defences:
 * - quiet it: a 46-day scan interval, 8 pages per pass. Writing the interval
 *   (and switching PMD THP on, which starts the thread) still runs one pass
 *   at once, whenever the thread next gets the CPU, and so does registering
 *   a first mm; those passes cannot be timed.
 * - a decoy: a pass walks the registered mm's VMAs in address order from
 *   where the last pass stopped, skips the ones khugepaged cannot use, and
 *   stops after the first PMD it scans (progress += HPAGE_PMD_NR > 8). The
 *   decoy is a large, empty, THP-eligible mapping below every workload
 *   mapping (at DECOY_ADDRESS; mmap places the workload's near the top), with
 *   an anon_vma (khugepaged skips VMAs without one) from a read fault on its
 *   last PMD (the huge zero page: no memory). Every pass spends itself on one
 *   of its empty PMDs, so no pass reaches a workload's range. */
#define DECOY_ADDRESS (1UL << 40)
#ifndef DECOY_PMDS
#define DECOY_PMDS 1024UL
#endif
#ifndef SCAN_SLEEP_MS      /* a shorter interval only to test the decoy */
#define SCAN_SLEEP_MS "4000000000"
#endif
static char *decoy;
static size_t decoy_size;

static void quiet_khugepaged(void)
{
    write_file(THP_DIR "/khugepaged/pages_to_scan", "8");
    write_file(THP_DIR "/khugepaged/alloc_sleep_millisecs", "4000000000");
    write_file(THP_DIR "/khugepaged/scan_sleep_millisecs", SCAN_SLEEP_MS);
}

static void make_decoy(int may_set_thp)
{
    decoy_size = DECOY_PMDS * (size_t)pmd_size;
    decoy = mmap((void *)DECOY_ADDRESS, decoy_size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (decoy == MAP_FAILED) { decoy = NULL; return; }
    char mode[64] = "";
    if (may_set_thp) {
        read_mode(THP_DIR "/enabled", mode, sizeof mode);
        write_file(THP_DIR "/enabled", "always");
    }
    volatile char *last = decoy + decoy_size - (size_t)pmd_size;
    (void)*last;
    if (may_set_thp && mode[0]) write_file(THP_DIR "/enabled", mode);
}

/* ---- one job ------------------------------------------------------------ */

static void emit_delta(const char *name, long long before, long long after, int *first)
{
    if (before < 0 || after < 0) return;
    emit("%s\"%s\":%lld", *first ? "" : ",", name, after - before);
    *first = 0;
}

static void run_job(char *line, int index)
{
    char *words[64];
    int n = 0;
    for (char *w = strtok(line, " \t"); w && n < 64; w = strtok(NULL, " \t")) words[n++] = w;
    out_len = 0;
    emit("A64FAULT {\"kind\":\"run\",\"index\":%d,", index);
    if (n < 3) {
        emit("\"error\":\"a job needs WORKLOAD SIZE THP\"}");
        flush_line();
        return;
    }
    const char *workload = words[0];
    size_t size = (size_t)strtoull(words[1], NULL, 0);
    const char *thp = words[2];
    size_t stride = 0;
    int first_mthp = 3;
    if (n > 3 && !strchr(words[3], '=')) { stride = (size_t)strtoull(words[3], NULL, 0); first_mthp = 4; }
    if (!stride) stride = (size_t)page_size;
    emit("\"workload\":");
    emit_str(workload);
    emit(",\"size_bytes\":%zu,\"thp\":", size);
    emit_str(thp);
    emit(",\"stride\":%zu,\"mthp\":{", stride);
    for (int j = first_mthp; j < n; j++) {
        char *eq = strchr(words[j], '=');
        if (!eq) continue;
        emit("%s\"%ld\":", j > first_mthp ? "," : "", atol(words[j]));
        emit_str(eq + 1);
    }
    emit("},");
    int failed = apply_modes(thp, words + first_mthp, n - first_mthp);
    emit("\"settings_failed\":%d,", failed);
    emit_settings();

    size_t span = size + (size_t)pmd_size;
    struct snapshot before, after;
    snap(&before);
    char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        emit(",\"error\":\"mmap failed: errno %d\"}", errno);
        flush_line();
        return;
    }
    char *base = (char *)(((uintptr_t)raw + (uintptr_t)pmd_size - 1) & ~((uintptr_t)pmd_size - 1));
    if (base > raw) munmap(raw, (size_t)(base - raw));
    if (raw + span > base + size) munmap(base + size, (size_t)(raw + span - (base + size)));
    int known;
    uint64_t retries = run_workload(workload, base, size, stride, &known);
    snap(&after);

    struct mapping m;
    scan_mapping(base, size, &m);
    munmap(base, size);

    if (known == 0) emit(",\"error\":\"unknown workload\"");
    else if (known < 0) emit(",\"error\":\"madvise failed: errno %d\"", -known);
    emit(",\"base\":\"%#lx\",\"decoy_below\":%s,\"counters\":{", (unsigned long)(uintptr_t)base,
         decoy && decoy + decoy_size <= base ? "true" : "false");
    int first = 1;
    emit_delta("minflt", before.ru.ru_minflt, after.ru.ru_minflt, &first);
    emit_delta("majflt", before.ru.ru_majflt, after.ru.ru_majflt, &first);
    emit(",\"llsc_retries\":%llu", (unsigned long long)retries);
    for (size_t i = 0; i < N_EVENTS; i++)
        emit_delta(VMSTAT_EVENTS[i], before.events[i], after.events[i], &first);
    emit("},\"mthp_stats\":{");
    int first_size = 1;
    for (int z = 0; z < n_sizes; z++) {
        emit("%s\"%u\":{", first_size ? "" : ",", sizes[z].kb);
        first_size = 0;
        int f = 1;
        for (int k = 0; k < n_mthp_stats; k++)   /* only the ones that changed */
            if (before.mthp[z][k] != after.mthp[z][k])
                emit_delta(mthp_stat_names[k], before.mthp[z][k], after.mthp[z][k], &f);
        emit("}");
    }
    emit("},\"mapping\":{\"pagemap\":%s,\"kpageflags\":%s,\"present\":%ld,\"zero_page\":%ld,"
         "\"huge_zero_page\":%ld,\"private\":%ld,\"anon_huge_kb\":%ld,\"folios\":{",
         m.pagemap_ok ? "true" : "false", m.flags_ok ? "true" : "false", m.present, m.zero,
         m.huge_zero, m.anon_private, m.anon_huge_kb);
    int ff = 1;
    for (int o = 1; o < 24; o++)
        if (m.folios[o]) { emit("%s\"%ld\":%ld", ff ? "" : ",", (page_size << o) / 1024, m.folios[o]); ff = 0; }
    emit("}}}");
    flush_line();
}

/* ---- setup -------------------------------------------------------------- */

static void as_init(void)
{
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    mkdir("/dev", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    if (fcntl(1, F_GETFD) < 0) {
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) { dup2(fd, 0); dup2(fd, 1); dup2(fd, 2); if (fd > 2) close(fd); }
    }
}

/* Touch and lock everything the probe uses, then run every code path once. */
static void warm_up(void)
{
    volatile char stack[256 * 1024];
    for (size_t i = 0; i < sizeof stack; i += 1024) stack[i] = 0;
    memset(buf, 0, sizeof buf);
    memset(out, 0, sizeof out);
    memset(pagemap_buf, 0, sizeof pagemap_buf);
    memset(flags_buf, 0, sizeof flags_buf);
    mlockall(MCL_CURRENT);
    struct snapshot s;
    snap(&s);
    char *p = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
        struct mapping m;
        scan_mapping(p, (size_t)page_size, &m);
        munmap(p, (size_t)page_size);
    }
    snap(&s);
}

static int collect_jobs(int argc, char **argv, char **jobs)
{
    int n = 0;
    if (argc > 1) {
        for (int i = 1; i < argc && n < MAX_JOBS; i++) jobs[n++] = argv[i];
        return n;
    }
    if (read_file("/jobs", job_text, sizeof job_text) < 0) {
        job_text[0] = 0;
        if (read_file("/proc/cmdline", buf, sizeof buf) > 0) {
            char *at = strstr(buf, "a64fault.jobs=");
            if (at) {
                at += strlen("a64fault.jobs=");
                size_t len = strcspn(at, " \n");
                if (len >= sizeof job_text) len = sizeof job_text - 1;
                memcpy(job_text, at, len);
                job_text[len] = 0;
                for (char *c = job_text; *c; c++) {
                    if (*c == ';') *c = '\n';
                    else if (*c == ',') *c = ' ';
                }
            }
        }
    }
    for (char *line = strtok(job_text, "\n"); line && n < MAX_JOBS; line = strtok(NULL, "\n"))
        if (*line && *line != '#') jobs[n++] = line;
    return n;
}

int main(int argc, char **argv)
{
    int init = getpid() == 1;
    if (init) as_init();
    page_size = sysconf(_SC_PAGESIZE);
    pmd_size = page_size * (page_size / 8);
    find_mthp_sizes();

    static char *jobs[MAX_JOBS];
    static char copies[MAX_JOBS][MAX_LINE];
    int n = collect_jobs(argc, argv, jobs);
    for (int i = 0; i < n; i++) {     /* strtok in run_job must not cut the list */
        snprintf(copies[i], sizeof copies[i], "%s", jobs[i]);
        jobs[i] = copies[i];
    }
    if (init || !getuid()) quiet_khugepaged();
    warm_up();
    make_decoy(init || !getuid());    /* after mlockall(MCL_CURRENT): never populated */

    print_text("A64FAULT-BEGIN");
    struct utsname u;
    uname(&u);
    out_len = 0;
    emit("A64FAULT {\"kind\":\"system\",\"release\":");
    emit_str(u.release);
    emit(",\"machine\":");
    emit_str(u.machine);
    emit(",\"decoy\":\"%#lx\",\"decoy_size\":%zu", (unsigned long)(uintptr_t)decoy, decoy_size);
    emit(",\"page_size\":%ld,\"pmd_size\":%ld,\"pid1\":%s,\"uid\":%d,\"jobs\":%d,\"mthp_sizes_kb\":[",
         page_size, pmd_size, init ? "true" : "false", (int)getuid(), n);
    for (int z = 0; z < n_sizes; z++) emit("%s%u", z ? "," : "", sizes[z].kb);
    emit("],");
    emit_settings();
    emit("}");
    flush_line();
    for (int i = 0; i < n; i++) run_job(jobs[i], i);
    print_text("A64FAULT-END");

    if (init) {
        /* The console is a tty: write() returns before the UART has sent the
         * bytes, and powering off would drop what is still queued. */
        tcdrain(1);
        struct timespec pause_for = { 0, 200 * 1000 * 1000 };
        nanosleep(&pause_for, NULL);
        sync();
        reboot(RB_POWER_OFF);
        for (;;) pause();
    }
    return 0;
}
