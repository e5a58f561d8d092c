"""The audit: per table form, how many encodings a predicate accepts, and how
many it gets wrong against a policy; as JSON or as text lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import policies
from ..cubes import CubeSet
from ..kinds import Kind
from ..patterns import Table, default_table
from .presets import preset
from .regions import region_counts, table_regions


@dataclass
class FormResult:
    form: str
    kind: Kind
    #: The features of the form's rows (None: the Armv8.0 base), each once.
    features: list[str | None] = field(default_factory=list)
    total: int = 0
    matched: int = 0
    false_positive_words: int = 0
    false_negative_words: int = 0

    @property
    def feature(self) -> str | None:
        """The form's feature; several joined with "," (e.g. ``SVE,SVE2p1``) when
        its rows differ; None when all of them are the Armv8.0 base."""
        if self.features == [None]:
            return None
        names = sorted(self.features, key=lambda f: (f is not None, f or ""))
        return ",".join("base" if f is None else f for f in names)

    @property
    def status(self) -> str:
        if self.matched == 0:
            return "excluded"
        return "full" if self.matched == self.total else "partial"

    def as_json(self) -> dict[str, object]:
        return {"form": self.form, "kind": self.kind.value, "feature": self.feature,
                "total": self.total, "matched": self.matched,
                "false_positive_words": self.false_positive_words,
                "false_negative_words": self.false_negative_words}


@dataclass
class AuditResult:
    predicate: str
    against: str | None
    matched: int
    unallocated_matched: int
    forms: list[FormResult] = field(default_factory=list)

    @property
    def false_positives(self) -> list[str]:
        return [f.form for f in self.forms if f.false_positive_words]

    @property
    def false_negatives(self) -> list[str]:
        return [f.form for f in self.forms if f.false_negative_words]

    def form(self, name: str) -> FormResult:
        for f in self.forms:
            if f.form == name:
                return f
        raise KeyError(name)

    def text_lines(self) -> list[str]:
        """The report as text: forms fully and partly matched, then errors against the policy."""
        full = [f for f in self.forms if f.status == "full"]
        partial = [f for f in self.forms if f.status == "partial"]
        lines = [f"predicate {self.predicate}: {self.matched} words",
                 f"fully matched forms ({len(full)}):       matched/total words"]
        lines += [_form_line(f) for f in full]
        lines.append(f"partly matched forms ({len(partial)}):")
        lines += [_form_line(f) for f in partial]
        lines.append(f"matched outside any form (unallocated): {self.unallocated_matched} words")
        if self.against is None:
            return lines
        fps = [f for f in self.forms if f.false_positive_words]
        fns = [f for f in self.forms if f.false_negative_words]
        lines.append(f"against policy {self.against}:")
        lines.append(f"false positives ({len(fps)} forms"
                     f"{', + unallocated' if self.unallocated_matched else ''}):  words wrongly matched")
        lines += [_form_line(f, f.false_positive_words) for f in fps]
        lines.append(f"false negatives ({len(fns)} forms):  words missed")
        lines += [_form_line(f, f.false_negative_words) for f in fns]
        return lines

    def as_json(self) -> dict[str, object]:
        return {
            "predicate": self.predicate,
            "against": self.against,
            "matched": self.matched,
            "unallocated_matched": self.unallocated_matched,
            "fully_matched": [f.form for f in self.forms if f.status == "full"],
            "partly_matched": [f.form for f in self.forms if f.status == "partial"],
            "false_positives": self.false_positives if self.against else None,
            "false_negatives": self.false_negatives if self.against else None,
            "forms": [f.as_json() for f in self.forms],
        }


def _form_line(f: FormResult, words: int | None = None) -> str:
    feature = f.feature or "base"
    amount = f"{f.matched}/{f.total}" if words is None else f"{words}"
    return f"  {f.form:<12} {f.kind.value:<17} {feature:<8} {amount}"


def audit(predicate: CubeSet, *, against: str | None = None, table: Table | None = None,
          label: str = "") -> AuditResult:
    """Count, per form, the encodings ``predicate`` accepts; compare with a policy.

    ``against`` is a policy name: a kind-based policy accepts whole rows by
    kind, ``kernel-v5`` is its own predicate (policies.kernel_v5).
    Words outside every row, or in a row of kind ``other`` (the table's
    UNALLOCATED carve-outs), belong to no memory form: they are counted as
    ``unallocated_matched``, and against any policy they are false positives.
    """
    table = table if table is not None else default_table()
    regions = table_regions(table)
    matched = region_counts(regions, predicate)
    by_form: dict[str, FormResult] = {}
    # Rows of kind `other` (the table's UNALLOCATED carve-outs) are not memory
    # forms: their words count with those of no row as unallocated.
    in_other = 0
    for code, row in enumerate(table.rows):
        if row.kind is Kind.OTHER:
            in_other += matched[code]
            continue
        result = by_form.get(row.form)
        if result is None:
            result = by_form[row.form] = FormResult(row.form, row.kind)
        if row.feature not in result.features:
            result.features.append(row.feature)
        result.total += regions.sizes[code]
        result.matched += matched[code]

    if against is not None:
        policies.check_policy(against)
        if against in policies.POLICY_KINDS:
            kinds = policies.POLICY_KINDS[against]
            for code, row in enumerate(table.rows):
                result = by_form.get(row.form)
                if result is None:
                    continue
                if row.kind in kinds:
                    result.false_negative_words += regions.sizes[code] - matched[code]
                else:
                    result.false_positive_words += matched[code]
        else:
            reference = preset(against)
            fp = region_counts(regions, predicate & ~reference)
            fn = region_counts(regions, reference & ~predicate)
            for code, row in enumerate(table.rows):
                if row.form in by_form and row.kind is not Kind.OTHER:
                    by_form[row.form].false_positive_words += fp[code]
                    by_form[row.form].false_negative_words += fn[code]

    total_matched = predicate.size()
    forms = [by_form[name] for name in table.forms if name in by_form]
    unallocated = total_matched - sum(matched) + in_other
    return AuditResult(label, against, total_matched, unallocated, forms)
