"""Verdicts: turning a paired difference (integrated B minus base A) and its interval into words.

The rule (Wong & Horan 2021 ask that integrating strengths into a risk/need assessment adds
predictive value, *additionality*, without weakening it, *dilution*):

* ``additive`` -- the gain's confidence interval excludes 0 (B is better);
* ``dilutes`` -- the loss's confidence interval excludes 0 (B is significantly worse). A
  significant loss is reported as ``dilutes`` even when it is smaller than the margin: the row
  always shows how large it is;
* ``non-inferior`` -- not significantly different, and a loss larger than the margin ``delta``
  is ruled out (the interval's worst end is within ``delta`` of 0), as in a non-inferiority
  trial with margin ``delta`` (Piaggio et al. 2012, CONSORT extension for non-inferiority);
* ``inconclusive`` -- none of these (the interval is too wide, or the criterion has no margin).

"Better" depends on the criterion: higher is better for the AUC and the C-index, lower for the
Brier score, the ICI, the distance of the calibration slope from 1 and the worst-group gap.
"""

from __future__ import annotations

import math

__all__ = ["VERDICTS", "criterion_verdict", "mirror_verdict", "nested_test_verdict"]

#: The four verdicts, in the order they are checked.
VERDICTS = ("additive", "dilutes", "non-inferior", "inconclusive")


def _nan(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def criterion_verdict(
    lower: float | None,
    upper: float | None,
    *,
    margin: float | None = None,
    higher_is_better: bool = True,
) -> str:
    """Verdict for one criterion from the interval ``(lower, upper)`` of B - A.

    ``margin`` is the non-inferiority margin delta in the criterion's own units (``None``: the
    criterion has no margin, so it can only be additive, dilutes or inconclusive).

    >>> criterion_verdict(0.004, 0.02)
    'additive'
    >>> criterion_verdict(-0.004, 0.006, margin=0.01)
    'non-inferior'
    >>> criterion_verdict(0.001, 0.004, higher_is_better=False)   # e.g. the Brier score went up
    'dilutes'
    """
    if _nan(lower) or _nan(upper):
        return "inconclusive"
    # express everything as a gain: positive = B better
    lo, hi = (lower, upper) if higher_is_better else (-upper, -lower)
    if lo > 0:
        return "additive"
    if hi < 0:
        return "dilutes"
    if margin is not None and lo > -margin:
        return "non-inferior"
    return "inconclusive"


def nested_test_verdict(p_value: float | None, alpha: float) -> str:
    """Verdict for a one-sided question answered by a test (the nested likelihood-ratio test of the
    strengths block): ``additive`` when ``p < alpha``, else ``inconclusive`` (adding terms to a
    nested model cannot lower its likelihood, so neither dilution nor non-inferiority applies)."""
    if _nan(p_value):
        return "inconclusive"
    return "additive" if p_value < alpha else "inconclusive"


def mirror_verdict(verdict: str) -> str:
    """The verdict with base and integrated swapped where it is determined by the interval alone
    (``additive`` <-> ``dilutes``; others unchanged)."""
    return {"additive": "dilutes", "dilutes": "additive"}.get(verdict, verdict)
