"""The report bundle contract: columns are checked, and a check passes only when it says True."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assess.report import BUNDLE_COLUMNS, ReportBundle, empty_frame


def _checks(values: list) -> pd.DataFrame:
    frame = pd.DataFrame({c: [None] * len(values) for c in BUNDLE_COLUMNS["checks"]})
    frame["passed"] = pd.Series(values, dtype=object)
    return frame


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], True),
        ([True, True], True),
        ([True, np.True_], True),
        ([True, False], False),
        ([True, None], False),
        ([True, np.nan], False),
        ([True, "False"], False),
        ([1], False),
    ],
)
def test_passed_only_when_every_check_says_true(values, expected):
    assert ReportBundle("s", "t", checks=_checks(values)).passed is expected


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"roc: missing column\(s\) fpr, tpr"):
        ReportBundle("s", "t", roc=pd.DataFrame({"instrument": [], "score": [], "group": []}))


def test_empty_frames_have_the_documented_columns():
    bundle = ReportBundle("s", "t")
    for name, columns in BUNDLE_COLUMNS.items():
        assert tuple(getattr(bundle, name).columns) == columns
        assert getattr(bundle, name).empty
    assert list(empty_frame("published").columns) == list(BUNDLE_COLUMNS["published"])
