"""Generated predicates: generation time, and both exhaustive proofs over all 2**32 words.

Run: python bench/bench_predicate.py [--quick] [--no-c]
Per policy x don't-care set: the term count, whether it is proven optimal,
the seconds to generate it (fresh, in this process), the wall and CPU
seconds of the numpy proof and of the C proof (compile + run), and the
counts; the counts of the two
proofs and the exact cube-set sizes must agree, or the run fails. Targets
(2-core machine): numpy proof <= 60 s, C proof <= 20 s. Not part of the
test suite (each proof takes tens of seconds).
"""

from __future__ import annotations

import argparse
import sys
import time

from a64fault.predicate import build, generate, policy_sets, verify, verify_c

CONFIGS = [("atomic", "non-memory"), ("atomic", "none"), ("atomic", "unallocated"),
           ("atomic+exclusive", "non-memory"), ("atomic+exclusive", "none"),
           ("atomic+exclusive", "unallocated")]
QUICK = CONFIGS[:2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="atomic with non-memory and none only")
    parser.add_argument("--no-c", action="store_true", help="skip the C proof")
    args = parser.parse_args()
    failed = False
    print(f"{'policy':17} {'dont-care':12} {'terms':>5} {'optimal':>7} {'gen s':>6} "
          f"{'numpy s (CPU)':>14} {'C s (CPU)':>12}  "
          f"ON matched/total, OFF matched, don't-care matched/total")
    for policy, dont_care in QUICK if args.quick else CONFIGS:
        build._generate.cache_clear()
        started = time.perf_counter()
        predicate = generate(policy, dont_care=dont_care)
        generated = time.perf_counter() - started
        numpy_proof = verify(predicate)
        c_proof = None if args.no_c else verify_c(predicate)
        sets = policy_sets(predicate.kinds, dont_care)
        exact = (sets.on.size(), sets.on.size(), sets.off.size(), 0)
        for proof in (numpy_proof, c_proof):
            if proof is None:
                continue
            if not proof.holds or proof.counts()[:4] != exact:
                failed = True
                print(f"  {proof.method} proof disagrees: {proof.counts()} vs cube sets {exact}")
        if c_proof is not None and c_proof.counts() != numpy_proof.counts():
            failed = True
            print(f"  numpy {numpy_proof.counts()} != C {c_proof.counts()}")
        p = numpy_proof
        c_seconds = (f"{c_proof.seconds:5.1f} ({c_proof.cpu_seconds:4.1f})" if c_proof is not None
                     else "-")
        print(f"{policy:17} {dont_care:12} {len(predicate.terms):5d} {str(predicate.optimal):>7} "
              f"{generated:6.2f} {p.seconds:6.1f} ({p.cpu_seconds:5.1f}) {c_seconds:>12}  "
              f"{p.on_matched}/{p.on_total}, "
              f"{p.off_matched}, {p.dont_care_matched}/{p.dont_care_total}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
