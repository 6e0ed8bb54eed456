"""ProPublica's Broward County COMPAS files and the CORELS train/test split derived from them.

Datasets
--------
``compas-broward``
    ``compas-scores-two-years.csv`` with ProPublica's documented filter (6172 of 7214 rows).
``compas-broward-unfiltered``
    The same file, all 7214 rows: the population of ProPublica's error-rate ("truth") tables,
    which were computed from the un-filtered two-year cohort (``cox-parsed.csv``; its two-year
    population has the same 7214 people).
``compas-broward-violent``
    ``compas-scores-two-years-violent.csv`` with ProPublica's filter on the violent score (4020
    of 4743 rows).
``corels-compas-train`` / ``corels-compas-test``
    The CORELS repository's categorical features of the same people (6489 / 721 rows).

Names, first and last names, dates of birth and court case numbers are dropped at load and
never reach the frame. ProPublica's ``start``/``end``/``event`` columns describe the first
interval of a counting-process data set that stops at re-incarceration, so they do not give a
follow-up time consistent with ``two_year_recid``; the COMPAS datasets therefore have an
``event`` column (``two_year_recid``) and no ``time`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._registry import (
    DatasetSpec,
    add_source_row,
    drop_duplicate_columns,
    filter_summary,
    published_frame,
    register,
)

#: Columns holding personal identifiers of real people: dropped at load, never shown.
SENSITIVE_COLUMNS = ("name", "first", "last", "dob", "c_case_number", "r_case_number", "vr_case_number")

PROPUBLICA_ORIGIN = (
    "github.com/propublica/compas-analysis at commit bafff5d (2017-06-13), byte-identical copy "
    "(see shared/data/MANIFEST.md)"
)
PROPUBLICA_CITATION = (
    "Larson J, Mattu S, Kirchner L, Angwin J (2016). How We Analyzed the COMPAS Recidivism Algorithm. "
    "ProPublica, 23 May 2016. Data and analysis: https://github.com/propublica/compas-analysis "
    "(notebook 'Compas Analysis.ipynb')."
)
NOTEBOOK = "ProPublica compas-analysis, 'Compas Analysis.ipynb'"
CORELS_ORIGIN = "github.com/corels/corels at commit 3a57a7e, data/ (derived from compas-scores-two-years.csv)"
CORELS_CITATION = (
    "Angelino E, Larus-Stone N, Alabi D, Seltzer M, Rudin C (2018). Learning certifiably optimal rule lists "
    "for categorical data. Journal of Machine Learning Research 18(234):1-78. Data: "
    "https://github.com/corels/corels (data/compas_train.csv, data/compas_test.csv), derived from ProPublica's "
    "compas-scores-two-years.csv."
)

_TWO_YEAR_COLUMNS = (
    "id", "compas_screening_date", "sex", "age", "age_cat", "race", "juv_fel_count", "decile_score",
    "juv_misd_count", "juv_other_count", "priors_count", "days_b_screening_arrest", "c_jail_in",
    "c_jail_out", "c_charge_degree", "is_recid", "is_violent_recid", "score_text", "v_decile_score",
    "v_score_text", "two_year_recid",
)
_GROUPS = ("race", "sex", "age_cat")
RACES = ("African-American", "Asian", "Caucasian", "Hispanic", "Native American", "Other")


def _drop_sensitive(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.drop(columns=[c for c in SENSITIVE_COLUMNS if c in raw.columns])


def _propublica_filter(frame: pd.DataFrame, score_text: str, name: str) -> tuple[pd.DataFrame, str]:
    """ProPublica's filter, step by step (R's filter() drops rows whose condition is NA)."""
    days = frame["days_b_screening_arrest"]
    steps = [
        ("days_b_screening_arrest missing (no COMPAS-scored charge found near the screening date)", days.isna()),
        ("days_b_screening_arrest outside -30..30 (charge more than 30 days from the arrest: wrong offence)",
         days.notna() & ((days > 30) | (days < -30))),
        ("is_recid == -1 (no COMPAS case found)", frame["is_recid"] == -1),
        ("c_charge_degree == 'O' (ordinary traffic offence)", frame["c_charge_degree"] == "O"),
        (f"{score_text} == 'N/A' (no score)", frame[score_text] == "N/A"),
    ]
    keep = pd.Series(True, index=frame.index)
    counts = []
    for why, drop in steps:
        removed = int((keep & drop).sum())
        counts.append((why, removed))
        keep &= ~drop
    out = frame.loc[keep].reset_index(drop=True)
    text = filter_summary(
        len(frame), counts, len(out),
        f"ProPublica's filter for {name}: days_b_screening_arrest within +-30, is_recid != -1, "
        f"c_charge_degree != 'O', {score_text} != 'N/A'",
    )
    return out, text


def _prepare_two_year(raw: pd.DataFrame, *, filtered: bool, name: str) -> tuple[pd.DataFrame, str]:
    frame = drop_duplicate_columns(_drop_sensitive(add_source_row(raw)), name, ("decile_score", "priors_count"))
    if filtered:
        frame, text = _propublica_filter(frame, "score_text", name)
    else:
        frame = frame.reset_index(drop=True)
        text = f"no filter: all {len(frame)} rows of the file (ProPublica's error-rate tables use all of them)"
    frame["event"] = frame["two_year_recid"].astype(int)
    return _add_derived(frame), text


def _add_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """Derived columns: ``length_of_stay`` (days, as ProPublica computes it) and the CORELS groups.

    ``length_of_stay`` = ``as.Date(c_jail_out) - as.Date(c_jail_in)`` in days (dates without
    times; missing when either date is). ``corels_age`` and ``corels_priors`` are the grouped
    ``age`` and ``priors_count`` of the CORELS repository's data files (age 18-20, 21-22, 23-25,
    26-45, >45; priors =0, =1, 2-3, >3): the counts of (sex, age group, priors group,
    two_year_recid) built this way from the 7214 rows equal those of CORELS' compas_train.csv +
    compas_test.csv (7210 rows) plus the 4 people CORELS left out, so the grouping is exact.
    """
    out = frame.copy()
    jail_in = pd.to_datetime(out["c_jail_in"].astype("string").str.slice(0, 10), errors="coerce")
    jail_out = pd.to_datetime(out["c_jail_out"].astype("string").str.slice(0, 10), errors="coerce")
    out["length_of_stay"] = (jail_out - jail_in).dt.days.astype(float)
    age = pd.to_numeric(out["age"])
    out["corels_age"] = pd.Series(
        np.select([age <= 20, age <= 22, age <= 25, age <= 45], ["18-20", "21-22", "23-25", "26-45"], ">45"),
        index=out.index, dtype=object,
    ).where(age.notna() & (age >= 18), None)
    prior = pd.to_numeric(out["priors_count"])
    out["corels_priors"] = pd.Series(
        np.select([prior == 0, prior == 1, prior <= 3], ["=0", "=1", "2-3"], ">3"), index=out.index, dtype=object,
    ).where(prior.notna() & (prior >= 0), None)
    return out


def _prepare_violent(raw: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    name = "compas-broward-violent"
    frame = drop_duplicate_columns(
        _drop_sensitive(add_source_row(raw)), name, ("decile_score", "priors_count", "two_year_recid")
    )
    frame, text = _propublica_filter(frame, "v_score_text", name)
    frame["event"] = frame["two_year_recid"].astype(int)
    return frame, text


# ----------------------------------------------------------------------------- published figures

_LOGIT_TERMS = (
    "(Intercept)", "gender_factorFemale", "age_factorGreater than 45", "age_factorLess than 25",
    "race_factorAfrican-American", "race_factorAsian", "race_factorHispanic", "race_factorNative American",
    "race_factorOther", "priors_count", "crime_factorM", "two_year_recid",
)
_LOGIT_NOTE = (
    "logistic regression of (score_text != 'Low') on sex (ref Male), age_cat (ref '25 - 45'), race (ref "
    "Caucasian), priors_count, c_charge_degree (ref F) and two_year_recid; R glm, 5 decimals"
)


def _logit_rows(instrument: str, coefs, ses, cell: int, deviances, note: str) -> list[dict]:
    src = f"{NOTEBOOK}, cell {cell} (summary(model))"
    rows = []
    for term, b, se in zip(_LOGIT_TERMS, coefs, ses, strict=True):
        rows.append(dict(instrument=instrument, metric=f"logistic_coef:{term}", published=b, decimals=5,
                         source=src, note=note))
        rows.append(dict(instrument=instrument, metric=f"logistic_se:{term}", published=se, decimals=5,
                         source=src, note=note))
    null_dev, resid_dev, aic = deviances
    rows += [
        dict(instrument=instrument, metric="logistic_null_deviance", published=null_dev, decimals=1, source=src, note=note),
        dict(instrument=instrument, metric="logistic_residual_deviance", published=resid_dev, decimals=1, source=src,
             note=note),
        dict(instrument=instrument, metric="logistic_aic", published=aic, decimals=1, source=src, note=note),
    ]
    return rows


def _published_two_year() -> pd.DataFrame:
    inst = "compas-decile"
    cohort = "(cohort)"
    rows: list[dict] = [
        dict(instrument=cohort, metric="n", published=6172, decimals=0, source=f"{NOTEBOOK}, cell 3 (nrow(df))"),
        dict(instrument=cohort, metric="events", published=2809, decimals=0,
             source=f"{NOTEBOOK}, cell 12", note="two_year_recid == 1"),
        dict(instrument=cohort, metric="base_rate", published=0.4551199, decimals=7,
             source=f"{NOTEBOOK}, cell 13 (45.51199%)", note="share with two_year_recid == 1"),
        dict(instrument=inst, metric="correlation:length_of_stay~decile_score", published=0.2073297, decimals=7,
             source=f"{NOTEBOOK}, cell 4",
             note="Pearson correlation of decile_score with length of stay in days, as.Date(c_jail_out) - "
                  "as.Date(c_jail_in) (dates without times)"),
    ]
    for cat, n in {"25 - 45": 3532, "Greater than 45": 1293, "Less than 25": 1347}.items():
        rows.append(dict(instrument=cohort, metric="n", group=f"age_cat={cat}", published=n, decimals=0,
                         source=f"{NOTEBOOK}, cell 5"))
    for race, n in zip(RACES, (3175, 31, 2103, 509, 11, 343), strict=True):
        rows.append(dict(instrument=cohort, metric="n", group=f"race={race}", published=n, decimals=0,
                         source=f"{NOTEBOOK}, cell 6"))
    for sex, n in {"Female": 1175, "Male": 4997}.items():
        rows.append(dict(instrument=cohort, metric="n", group=f"sex={sex}", published=n, decimals=0,
                         source=f"{NOTEBOOK}, cell 10"))
    for band, n in {"High": 1144, "Low": 3421, "Medium": 1607}.items():
        rows.append(dict(instrument=inst, metric=f"count:score_text={band}", published=n, decimals=0,
                         source=f"{NOTEBOOK}, cell 8"))
    deciles = {
        "African-American": (365, 346, 298, 337, 323, 318, 343, 301, 317, 227),
        "Caucasian": (605, 321, 238, 243, 200, 160, 113, 96, 77, 50),
    }
    for race, counts in deciles.items():
        for k, n in enumerate(counts, start=1):
            rows.append(dict(instrument=inst, metric=f"count:decile_score={k}", group=f"race={race}", published=n,
                             decimals=0, source=f"{NOTEBOOK}, cell 15 (xtabs(~ decile_score + race))"))
    rows += _logit_rows(
        inst,
        (-1.52554, 0.22127, -1.35563, 1.30839, 0.47721, -0.25441, -0.42839, 1.39421, -0.82635, 0.26895, -0.31124,
         0.68586),
        (0.07851, 0.07951, 0.09908, 0.07593, 0.06935, 0.47821, 0.12813, 0.76612, 0.16208, 0.01110, 0.06655, 0.06402),
        16, (8483.3, 6168.4, 6192.4), _LOGIT_NOTE,
    )
    return published_frame(rows)


def _published_unfiltered() -> pd.DataFrame:
    inst = "compas-decile"
    note = ("flagged = score_text Medium or High (decile_score >= 5); outcome two_year_recid; ProPublica's table "
            "rounds rates to 2 decimals of a percent and PPV/NPV to 2 decimals")
    note_high = "flagged = score_text High (decile_score >= 8); outcome two_year_recid"
    rows: list[dict] = []
    tables = {
        # group: (cell, n, [survived low, survived high, recid low, recid high], fpr%, fnr%, ppv, npv, prevalence)
        "overall": (51, 7214, (2681, 1282, 1216, 2035), 32.35, 37.40, 0.61, 0.69, 0.45),
        "race=African-American": (54, 3696, (990, 805, 532, 1369), 44.85, 27.99, 0.63, 0.65, 0.51),
        "race=Caucasian": (55, 2454, (1139, 349, 461, 505), 23.45, 47.72, 0.59, 0.71, 0.39),
    }
    for group, (cell, n, (tn, fp, fn, tp), fpr, fnr, ppv, npv, prev) in tables.items():
        src = f"{NOTEBOOK}, cell {cell} (truth table, Low vs High = Medium or High)"
        rows += [
            dict(instrument="(cohort)", metric="n", group=group, published=n, decimals=0, source=src),
            dict(instrument="(cohort)", metric="base_rate", group=group, published=prev, decimals=2, source=src,
                 note="'Prevalence' in the table"),
            dict(instrument=inst, metric="count:true_negative", group=group, published=tn, decimals=0, source=src,
                 note=note),
            dict(instrument=inst, metric="count:false_positive", group=group, published=fp, decimals=0, source=src,
                 note=note),
            dict(instrument=inst, metric="count:false_negative", group=group, published=fn, decimals=0, source=src,
                 note=note),
            dict(instrument=inst, metric="count:true_positive", group=group, published=tp, decimals=0, source=src,
                 note=note),
            dict(instrument=inst, metric="fpr", group=group, published=fpr / 100, decimals=4, source=src, note=note),
            dict(instrument=inst, metric="fnr", group=group, published=fnr / 100, decimals=4, source=src, note=note),
            dict(instrument=inst, metric="ppv", group=group, published=ppv, decimals=2, source=src, note=note),
            dict(instrument=inst, metric="npv", group=group, published=npv, decimals=2, source=src, note=note),
        ]
    high = {"race=Caucasian": (58, 5.44, 79.81), "race=African-American": (59, 15.82, 61.02)}
    for group, (cell, fpr, fnr) in high.items():
        src = f"{NOTEBOOK}, cell {cell} (hightable: High only)"
        rows += [
            dict(instrument=inst, metric="fpr[score_text>=High]", group=group, published=fpr / 100, decimals=4, source=src,
                 note=note_high),
            dict(instrument=inst, metric="fnr[score_text>=High]", group=group, published=fnr / 100, decimals=4, source=src,
                 note=note_high),
        ]
    return published_frame(rows)


def _published_violent() -> pd.DataFrame:
    inst = "compas-violent-decile"
    cohort = "(cohort)"
    rows: list[dict] = [
        dict(instrument=cohort, metric="n", published=4020, decimals=0, source=f"{NOTEBOOK}, cell 21 (nrow(df))"),
        dict(instrument=cohort, metric="events", published=652, decimals=0, source=f"{NOTEBOOK}, cell 26",
             note="two_year_recid == 1 in the violent file"),
        dict(instrument=cohort, metric="base_rate", published=0.1621891, decimals=7,
             source=f"{NOTEBOOK}, cell 25 (16.21891%)"),
    ]
    for cat, n in {"25 - 45": 2300, "Greater than 45": 954, "Less than 25": 766}.items():
        rows.append(dict(instrument=cohort, metric="n", group=f"age_cat={cat}", published=n, decimals=0,
                         source=f"{NOTEBOOK}, cell 22"))
    for race, n in zip(RACES, (1918, 26, 1459, 355, 7, 255), strict=True):
        rows.append(dict(instrument=cohort, metric="n", group=f"race={race}", published=n, decimals=0,
                         source=f"{NOTEBOOK}, cell 23"))
    for band, n in {"High": 279, "Low": 2913, "Medium": 828}.items():
        rows.append(dict(instrument=inst, metric=f"count:v_score_text={band}", published=n, decimals=0,
                         source=f"{NOTEBOOK}, cell 24"))
    rows += _logit_rows(
        inst,
        (-2.24274, -0.72890, -1.74208, 3.14591, 0.65893, -0.98521, -0.06416, 0.44793, -0.20543, 0.13764, -0.16367,
         0.93448),
        (0.11326, 0.12666, 0.18415, 0.11541, 0.10815, 0.70537, 0.19133, 1.03546, 0.22464, 0.01161, 0.09807, 0.11527),
        28, (4731.8, 2998.8, 3022.8), _LOGIT_NOTE.replace("score_text", "v_score_text"),
    )
    return published_frame(rows)


# ----------------------------------------------------------------------------- CORELS files

_CORELS_COLUMNS = (
    "sex", "age", "juvenile-felonies", "juvenile-misdemeanors", "juvenile-crimes", "priors", "current-charge-degree",
    "recidivate-within-two-years",
)


def _prepare_corels(raw: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    frame = add_source_row(raw)
    frame["event"] = frame["recidivate-within-two-years"].astype(int)
    return frame, "no filter (the CORELS authors' split of ProPublica's two-year file)"


# ----------------------------------------------------------------------------- registration

_TWO_YEAR_DESCRIPTION = (
    "One row per person screened with COMPAS in Broward County, Florida, in 2013-2014 (ProPublica's "
    "two-year file). Outcome: two_year_recid (1 = new charge within two years of screening), copied to "
    "`event`. Scores: decile_score 1-10 and score_text Low (1-4) / Medium (5-7) / High (8-10). Groups: "
    "race, sex, age_cat. Removed at load: name, first, last, dob and court case numbers; the duplicate "
    "decile_score/priors_count header columns (identical copies). Added: source_row (0-based position in "
    "the file), event, length_of_stay (days from c_jail_in to c_jail_out, dates only, as ProPublica), corels_age "
    "and corels_priors (the CORELS repository's age and priors groups, for the corels-broward rule list). No `time` column: ProPublica's start/end/event columns stop at re-incarceration and "
    "do not define a follow-up time consistent with two_year_recid."
)

register(DatasetSpec(
    name="compas-broward",
    file="compas/compas-scores-two-years.csv",
    sha256="c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d",
    rows=7214,
    required_columns=_TWO_YEAR_COLUMNS,
    prepare=lambda raw: _prepare_two_year(raw, filtered=True, name="compas-broward"),
    citation=PROPUBLICA_CITATION,
    description=_TWO_YEAR_DESCRIPTION + " ProPublica's filter applied (6172 rows).",
    origin=PROPUBLICA_ORIGIN,
    published=_published_two_year,
    event="event",
    groups=_GROUPS,
))

register(DatasetSpec(
    name="compas-broward-unfiltered",
    file="compas/compas-scores-two-years.csv",
    sha256="c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d",
    rows=7214,
    required_columns=_TWO_YEAR_COLUMNS,
    prepare=lambda raw: _prepare_two_year(raw, filtered=False, name="compas-broward-unfiltered"),
    citation=PROPUBLICA_CITATION,
    description=_TWO_YEAR_DESCRIPTION + (
        " All 7214 rows, unfiltered: the population of ProPublica's false-positive / false-negative tables "
        "('Directions of the Racial Bias')."
    ),
    origin=PROPUBLICA_ORIGIN,
    published=_published_unfiltered,
    event="event",
    groups=_GROUPS,
))

register(DatasetSpec(
    name="compas-broward-violent",
    file="compas/compas-scores-two-years-violent.csv",
    sha256="918e218ba181d4db8a7266977d23ca7a5ecf1bc7d5defd7b2f27bf3cbd9763e3",
    rows=4743,
    required_columns=tuple(c for c in _TWO_YEAR_COLUMNS if c != "score_text") + ("v_score_text",),
    prepare=_prepare_violent,
    citation=PROPUBLICA_CITATION,
    description=(
        "ProPublica's violent two-year file: one row per person with a COMPAS violence score. Outcome: "
        "two_year_recid of this file (new violent charge within two years), copied to `event`. Score: "
        "v_decile_score 1-10 and v_score_text. ProPublica's filter on v_score_text applied (4020 rows). "
        "Removed at load: names, dob, case numbers and the duplicate header columns. No `time` column."
    ),
    origin=PROPUBLICA_ORIGIN,
    published=_published_violent,
    event="event",
    groups=_GROUPS,
))

for _split, _rows, _sha in (
    ("train", 6489, "70d0e01949ade8708b542ee16e82f4b0284586859caaf1a8ad103acbff491191"),
    ("test", 721, "261d5007f0b6cb02a85898a7782ff1dbee01cca458633468b72b40ad6f943d8b"),
):
    register(DatasetSpec(
        name=f"corels-compas-{_split}",
        file=f"corels/compas_{_split}.csv",
        sha256=_sha,
        rows=_rows,
        required_columns=_CORELS_COLUMNS,
        prepare=_prepare_corels,
        citation=CORELS_CITATION,
        description=(
            f"The CORELS repository's {_split} split of ProPublica's two-year file, as categorical features: "
            "sex, age band, juvenile felonies/misdemeanours/crimes, priors band, current charge degree; outcome "
            "recidivate-within-two-years copied to `event`. No identifiers, no time. No published figure is "
            "attached: the CORELS paper reports cross-validated accuracies on its own folds, not on this split."
        ),
        origin=CORELS_ORIGIN,
        event="event",
        groups=("sex", "age"),
    ))
