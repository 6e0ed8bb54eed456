"""Additionality and dilution: does an integrated instrument (risk/need + strengths) predict
better than the base risk/need instrument on the same people? (Wong & Horan 2021.)

* :func:`compare` -- every criterion with paired intervals and a verdict per criterion and overall
  (:class:`ComparisonResult`);
* :func:`item_contribution`, :func:`short_form` -- drop-one / add-one item effects and a greedy
  short-form search (:mod:`assess.additionality.items`);
* building blocks: :func:`paired_harrell_c`, :func:`paired_auc`, :func:`paired_brier`,
  :func:`nested_cox_test`, :func:`nested_logistic_test`, :func:`criterion_verdict`.
"""

from __future__ import annotations

from .api import DEFAULT_MARGINS, compare
from .items import (
    ItemContributionResult,
    ShortFormResult,
    item_contribution,
    item_weights,
    short_form,
)
from .nested import NestedTest, nested_cox_test, nested_logistic_test
from .paired import PairedDifference, paired_auc, paired_brier, paired_harrell_c
from .result import ComparisonResult
from .verdict import VERDICTS, criterion_verdict

__all__ = [
    "DEFAULT_MARGINS",
    "VERDICTS",
    "ComparisonResult",
    "ItemContributionResult",
    "NestedTest",
    "PairedDifference",
    "compare",
    "ShortFormResult",
    "criterion_verdict",
    "item_contribution",
    "item_weights",
    "nested_cox_test",
    "nested_logistic_test",
    "paired_auc",
    "paired_brier",
    "paired_harrell_c",
    "short_form",
]
