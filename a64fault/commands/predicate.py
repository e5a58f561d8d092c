"""``a64fault predicate``: a minimal mask/value predicate for a policy, in five languages."""

from __future__ import annotations

import dataclasses
import json
import sys

import click

from ..errors import InputError
from ..kinds import Kind
from ..policies import KERNEL_V5
from ..predicate.emit import DEFAULT_LANGUAGE, LANGUAGES
from ..predicate.sets import DEFAULT_DONT_CARE, DONT_CARE_MODES
from . import SHORT_HELP


@click.command(name="predicate",
               short_help=SHORT_HELP["predicate"])
@click.option("--policy", help="Policy whose upgraded words must match: atomic (default) or "
              "atomic+exclusive.")
@click.option("--kinds", help="Kinds to match instead of a policy, comma-separated "
              "(e.g. atomic-rmw,compare-and-swap).")
@click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANGUAGE, show_default=True,
              help="Output language (kernel: Linux style, u32, no libc headers).")
@click.option("--name", help="Function name (default insn_is_<policy>).")
@click.option("--dont-care", "dont_care", type=click.Choice(DONT_CARE_MODES), default=DEFAULT_DONT_CARE,
              show_default=True, help="Words the predicate may match or not: non-memory "
              "instructions, unallocated encodings only, or none.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of source text.")
@click.option("--tests", is_flag=True, help="Add the corpus test vectors (word, expected, "
              "assembly) in the same language.")
@click.option("--verify", is_flag=True, help="Prove the terms over all 2^32 words (numpy, and "
              "the emitted C with a harness when cc is present); exit 1 if a proof fails.")
@click.option("--verify-terms", "verify_terms", metavar="PREDICATE",
              help="Prove a given predicate (audit syntax, 'MASK:VALUE | ...') instead of "
              "generating one.")
@click.option("--against", type=click.Choice([KERNEL_V5]),
              help="List the memory forms gained and lost against this predicate.")
def command(policy: str | None, kinds: str | None, lang: str, name: str | None, dont_care: str,
            as_json: bool, tests: bool, verify: bool, verify_terms: str | None,
            against: str | None) -> None:
    """Generate the fewest (insn & MASK) == VALUE terms that match every word of
    POLICY's kinds and no other memory-accessing word (--dont-care non-memory),
    chosen exactly (HiGHS) with a certificate of optimality."""
    from .. import predicate as lib

    if policy is not None and kinds is not None:
        raise InputError("give --policy or --kinds, not both")
    chosen = lib.parse_kinds(kinds) if kinds is not None else None
    if verify_terms is not None:
        if tests or name:
            raise InputError("--verify-terms checks a given predicate: --tests and --name "
                             "do not apply")
        _verify_terms(verify_terms, policy, chosen, dont_care, as_json, against)
        return
    if name is not None:
        lib.check_name(name)
    predicate = lib.generate(policy or "atomic", kinds=chosen, dont_care=dont_care)
    vectors = lib.vectors_for(predicate) if tests else None
    source = lib.render(predicate, lang, name, vectors)
    report: list[str] = []
    result = predicate.as_json()
    result.update(lang=lang, name=name or predicate.default_name(), source=source)
    failed = False
    if verify:
        proofs = [lib.verify(predicate), lib.verify_c(predicate)]
        failed = any(p is not None and not p.holds for p in proofs)
        for key, proof in zip(("proof", "proof_c"), proofs, strict=True):
            result[key] = proof.as_json() if proof is not None else None
            report += proof.lines() if proof is not None else ["proof (C): skipped, no C compiler"]
    if against is not None:
        from ..predicate.compare import compare

        comparison = compare(predicate.expression(), predicate.kinds, against)
        result["against"] = comparison.as_json()
        report += comparison.lines()
    if as_json:
        click.echo(json.dumps(result))
    else:
        from ..predicate.emit import comment

        click.echo(source, nl=False)
        if report:
            click.echo("\n" + "\n".join(comment(lang, report)))
    if failed:
        sys.exit(1)


def _verify_terms(text: str, policy: str | None, kinds: tuple[Kind, ...] | None, dont_care: str,
                  as_json: bool, against: str | None) -> None:
    """Prove a given predicate against the policy's sets; exit 1 when it fails."""
    from ..audit import parse_predicate
    from ..predicate.build import policy_kinds
    from ..predicate.compare import compare
    from ..predicate.emit import c_function
    from ..predicate.proof import verify, verify_c
    from ..predicate.sets import check_dont_care
    from ..terms import AnyOf, Test

    check_dont_care(dont_care)
    chosen = kinds if kinds is not None else policy_kinds(policy or "atomic")
    cubes = parse_predicate(text)
    if len(cubes.cubes) > MAX_VERIFY_CUBES:
        raise InputError(f"--verify-terms predicate has {len(cubes.cubes)} disjoint terms: "
                         f"at most {MAX_VERIFY_CUBES} can be proven")
    label = policy if kinds is None else "kinds " + ",".join(k.value for k in kinds)
    proofs = [verify(cubes.cubes, chosen, dont_care),
              verify_c(c_function("checked", cubes.cubes), "checked", chosen, dont_care)]
    result: dict[str, object] = {"predicate": text, "policy": label or "atomic", "dont_care": dont_care,
                    "disjoint_terms": len(cubes.cubes)}
    lines = [f"predicate {text}: {len(cubes.cubes)} disjoint terms, policy {label or 'atomic'}, "
             f"don't-care {dont_care}"]
    for key, proof in zip(("proof", "proof_c"), proofs, strict=True):
        result[key] = proof.as_json() if proof is not None else None
        lines += proof.lines() if proof is not None else ["proof (C): skipped, no C compiler"]
    if against is not None:
        expression = AnyOf(*(Test(m, v) for m, v in cubes.cubes))
        comparison = compare(expression, chosen, against)
        # Each MASK:VALUE term of the text holds the only ':' it has.
        comparison = dataclasses.replace(comparison, tests=text.count(":"))
        result["against"] = comparison.as_json()
        lines += comparison.lines()
    click.echo(json.dumps(result) if as_json else "\n".join(lines))
    if any(p is not None and not p.holds for p in proofs):
        sys.exit(1)


#: Most disjoint cubes a --verify-terms predicate may expand to (each costs a pass).
MAX_VERIFY_CUBES = 256
