"""The ``assess`` command line. It only calls the public Python API.

Exit codes: 0 success; 1 a check failed (lint errors, failing test vectors, invalid rows in
strict scoring); 2 usage, spec or data errors.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print ``error: message`` on stderr and exit; the message is shown literally (never as
    rich markup, so text such as "the '[' opened on line 3" survives)."""
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def _load_instrument(source: str):
    from assess.scoring import load_instrument
    from assess.spec import SpecError

    try:
        return load_instrument(source)
    except SpecError as exc:
        _fail(str(exc))
    except (FileNotFoundError, KeyError, LookupError) as exc:
        _fail(str(exc).strip("'\""))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assess")
def cli() -> None:
    """assess: offender risk-assessment instruments as data: specs, scoring, synthetic cohorts
    and validation."""


# --------------------------------------------------------------------------- instruments


@cli.group()
def instruments() -> None:
    """List, inspect and template the built-in instruments."""


@instruments.command("list")
def instruments_list() -> None:
    """List the instruments found on the instrument path."""
    from assess.spec import list_instruments

    table = Table(title="Instruments")
    for col in ("id", "version", "status"):
        table.add_column(col, no_wrap=True)
    table.add_column("name")
    problems = []
    for info in list_instruments():
        table.add_row(info.id, info.version, info.status, info.name)
        if getattr(info, "problem", None):
            problems.append(f"{info.path}: {info.problem}")
    console.print(table)
    for p in problems:
        err_console.print(f"[yellow]warning:[/] {p}", highlight=False)


@instruments.command("show")
@click.argument("instrument")
def instruments_show(instrument: str) -> None:
    """Print an instrument card: provenance, domains, items, scoring, bands."""
    from assess.report.card import instrument_card

    inst = _load_instrument(instrument)
    from rich.markdown import Markdown

    console.print(Markdown(instrument_card(inst.spec, spec_hash=inst.spec_hash)))


@instruments.command("template")
@click.argument("instrument")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="CSV or Parquet file to write.")
@click.option("--rows", default=10, show_default=True, type=click.IntRange(min=0), help="Number of random valid rows.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for the random rows.")
def instruments_template(instrument: str, output: str, rows: int, seed: int) -> None:
    """Write a table with the instrument's input columns and random valid rows."""
    from assess.io import TableFormatError, write_table

    inst = _load_instrument(instrument)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = inst.template(rows, seed=seed)
    for w in caught:
        console.print(f"note: {escape(str(w.message))}", highlight=False)
    try:
        path = write_table(frame, output)
    except TableFormatError as exc:
        _fail(str(exc))
    console.print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {path}")


# --------------------------------------------------------------------------- lint / schema


@cli.command()
@click.argument("paths", nargs=-1, required=True)
def lint(paths: tuple[str, ...]) -> None:
    """Validate instrument specs and run their embedded test vectors."""
    from assess.scoring import Instrument
    from assess.spec import SpecError, load_spec
    from assess.spec.registry import file_name_problem

    failures = 0
    for source in paths:
        try:
            spec = load_spec(source)
        except (SpecError, FileNotFoundError, LookupError) as exc:
            failures += 1
            err_console.print(f"[red]FAIL[/] {source}\n{exc}", highlight=False)
            continue
        problems: list[str] = []
        if Path(source).suffix.lower() in (".yaml", ".yml"):
            # the same naming rule as the registry, which loads <id>.yaml, <id>@<version>.yaml, <id>-<version>.yaml
            name_problem = file_name_problem(source, spec.id, spec.version)
            if name_problem:
                problems.append(name_problem)
        results = Instrument(spec).run_test_vectors()
        for res in results:
            if not res.passed:
                problems.append(str(res))
        if not results:
            problems.append("no test vectors: add at least one under 'test_vectors'")
        if problems:
            failures += 1
            err_console.print(f"[red]FAIL[/] {source} ({spec.id} {spec.version})", highlight=False)
            for p in problems:
                err_console.print(f"  - {p}", highlight=False)
        else:
            console.print(
                f"[green]ok[/]   {source} ({spec.id} {spec.version}, {len(results)} test vectors passed)",
                highlight=False,
            )
    if failures:
        err_console.print(f"{failures} of {len(paths)} spec(s) failed")
        sys.exit(EXIT_FAIL)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of instrument specs."""
    from assess.spec import instrument_json_schema

    click.echo(json.dumps(instrument_json_schema(), indent=2))


# --------------------------------------------------------------------------- score


@cli.command()
@click.argument("instrument")
@click.option("--input", "-i", "input_path", required=True, type=click.Path(dir_okay=False), help="CSV or Parquet input.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="CSV or Parquet output.")
@click.option("--strict", is_flag=True, help="Fail on any invalid input value instead of flagging the row.")
@click.option("--keep", multiple=True, help="Input column to copy into the output (repeatable), e.g. person_id.")
def score(instrument: str, input_path: str, output: str, strict: bool, keep: tuple[str, ...]) -> None:
    """Score a cohort file with an instrument; one output row per input row."""
    from assess.io import TableFormatError, read_table, write_table
    from assess.scoring import ScoringInputError

    inst = _load_instrument(instrument)
    categorical = [it.id for it in inst.spec.items if it.response.type == "categorical"]
    try:
        frame = read_table(input_path, string_columns=categorical)
    except (TableFormatError, FileNotFoundError) as exc:
        _fail(str(exc))
    missing_keep = [c for c in keep if c not in frame.columns]
    if missing_keep:
        _fail(f"--keep names columns not in {input_path}: {', '.join(missing_keep)}")
    try:
        result = inst.score(frame, strict=strict, keep=list(keep) or None)
    except ScoringInputError as exc:
        _fail(str(exc), EXIT_FAIL if strict else EXIT_USAGE)
    except ValueError as exc:
        _fail(str(exc))
    try:
        write_table(result.frame, output)
    except TableFormatError as exc:
        _fail(str(exc))
    console.print(str(result), highlight=False)
    console.print(f"wrote {len(result.frame)} rows to {output}")


# --------------------------------------------------------------------------- simulate


@cli.command()
@click.argument("scenario")
@click.option("--n", "n", type=click.IntRange(min=1), default=None, help="Number of people (default: the scenario's).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="CSV or Parquet file.")
def simulate(scenario: str, n: int | None, seed: int, output: str) -> None:
    """Simulate a synthetic cohort with known ground truth from a scenario."""
    from assess.io import TableFormatError
    from assess.spec import SpecError
    from assess.synthetic import simulate as _simulate
    from assess.synthetic import write_cohort

    try:
        frame = _simulate(scenario, n=n, seed=seed)
    except (SpecError, FileNotFoundError, LookupError, ValueError) as exc:
        _fail(str(exc).strip("'\""))
    try:
        path = write_cohort(frame, output)
    except TableFormatError as exc:
        _fail(str(exc))
    events = int(frame["event"].astype(bool).sum()) if "event" in frame else 0
    console.print(f"wrote {len(frame)} people ({events} reoffended within follow-up) to {path}")


# --------------------------------------------------------------------------- demo (main job)


@cli.command()
@click.option("--instrument", default="rnr-desistance-integrated", show_default=True)
@click.option("--scenario", default="baseline", show_default=True)
@click.option("--n", "n", default=5000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=2026, show_default=True, type=int)
def demo(instrument: str, scenario: str, n: int, seed: int) -> None:
    """Score a built-in synthetic example cohort with the integrated instrument and summarise."""
    from assess.synthetic import simulate as _simulate

    inst = _load_instrument(instrument)
    cohort = _simulate(scenario, n=n, seed=seed)
    result = inst.score(cohort, keep=["person_id"])
    console.rule(f"{inst.id} {inst.version} on synthetic scenario '{scenario}' (n={n}, seed={seed})")
    console.print(str(result), highlight=False)
    if "band" in result.frame and "event" in cohort:
        rates = (
            cohort.assign(band=result.frame["band"])
            .groupby("band", observed=True)["event"]
            .agg(["size", "mean"])
            .rename(columns={"size": "n", "mean": "observed reoffending rate"})
        )
        console.print("\nObserved reoffending within follow-up by band:")
        console.print(rates.to_string(float_format=lambda x: f"{x:.3f}"), highlight=False)


# --------------------------------------------------------------------------- validate / compare


@cli.command()
@click.argument("suite")
@click.option("--output-dir", "-o", type=click.Path(file_okay=False), default=None,
              help="Folder for the outputs (default: validation-output/<suite name>/).")
@click.option("--junit", type=click.Path(dir_okay=False), default=None,
              help="JUnit XML file (default: <output dir>/junit.xml).")
def validate(suite: str, output_dir: str | None, junit: str | None) -> None:
    """Run a validation suite (a YAML path, or a suite name under validation/).

    Writes results.csv, results.json, summary.md, JUnit XML and report.html. Exit 0 when every
    check passes, 1 when any fails (named on stderr), 2 on suite, spec or data errors.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from assess.harness import SuiteError, load_suite, run_suite, write_outputs
    from assess.spec import SpecError

    try:
        loaded = load_suite(suite)
    except SpecError as exc:
        _fail(str(exc))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), console=err_console, transient=True)
    try:
        with progress:
            task = progress.add_task(f"validating {loaded.suite.name}", total=None)

            def on_step(step: str, index: int, total: int) -> None:
                progress.update(task, description=f"{loaded.suite.name}: {step}", completed=index, total=total)

            run = run_suite(loaded, progress=on_step)
    except (SuiteError, SpecError) as exc:
        _fail(str(exc))
    out = Path(output_dir) if output_dir else Path("validation-output") / loaded.suite.name
    paths = write_outputs(run, out, junit=junit)
    checks = run.bundle.checks
    n_fail = int((~checks["passed"].astype(bool)).sum()) if len(checks) else 0
    console.print(f"{loaded.suite.title}: {len(checks) - n_fail} of {len(checks)} checks passed "
                  f"({run.bundle.provenance.get('duration_seconds')} s)", highlight=False)
    for name, path in paths.items():
        console.print(f"  {name}: {path}", highlight=False)
    if "report.html" not in paths:
        console.print("  (report.html not written: assess.report.html is not available)", highlight=False)
    if n_fail:
        from rich.markup import escape

        for row in run.failed_checks.to_dict("records"):
            err_console.print(f"[red]{escape(row['message'])}[/]", highlight=False, soft_wrap=True)
        sys.exit(EXIT_FAIL)


@cli.command()
@click.argument("base")
@click.argument("integrated")
@click.option("--scenario", default=None, help="Synthetic scenario to simulate the cohort from.")
@click.option("--n", "n", type=click.IntRange(min=1), default=None, help="Cohort size (with --scenario).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulated cohort.")
@click.option("--data", type=click.Path(dir_okay=False), default=None, help="CSV or Parquet cohort file.")
@click.option("--time", "time_col", default=None, help="Follow-up time column (default 'time').")
@click.option("--event", "event_col", default=None, help="Event column (default 'event').")
@click.option("--outcome", "outcome_col", default=None, help="Binary outcome column (instead of time/event).")
@click.option("--horizon", type=float, default=None, help="Horizon for the criteria at a horizon (default: the last of the base model's horizons).")
@click.option("--margin", type=float, default=0.01, show_default=True, help="Non-inferiority margin in C/AUC.")
@click.option("--n-boot", type=click.IntRange(min=0), default=1000, show_default=True, help="Bootstrap replicates.")
@click.option("--boot-seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="JSON file for the result (with the overall 'verdict').")
def compare(base: str, integrated: str, scenario: str | None, n: int | None, seed: int, data: str | None,
            time_col: str | None, event_col: str | None, outcome_col: str | None, horizon: float | None,
            margin: float, n_boot: int, boot_seed: int, output: str | None) -> None:
    """Additionality of INTEGRATED over BASE on the same people: a verdict per criterion and overall."""
    from assess.io import TableFormatError, read_table
    from assess.spec import SpecError

    if (scenario is None) == (data is None):
        _fail("give either --scenario NAME (with --n and --seed) or --data FILE")
    if outcome_col is not None and (time_col is not None or event_col is not None):
        _fail("give either --outcome COLUMN or --time/--event columns, not both")
    if n is not None and scenario is None:
        _fail("--n applies to --scenario only")
    try:
        from assess.additionality import compare as _compare
    except ImportError as exc:
        _fail(f"the additionality analysis is not available in this installation ({exc})")
    inst_a, inst_b = _load_instrument(base), _load_instrument(integrated)
    if scenario is not None:
        from assess.synthetic import simulate as _simulate

        try:
            frame = _simulate(scenario, n=n, seed=seed)
        except (SpecError, FileNotFoundError, LookupError, ValueError) as exc:
            _fail(str(exc).strip("'\""))
        source = f"synthetic scenario '{scenario}' (n={len(frame)}, seed={seed})"
    else:
        categorical = [it.id for inst in (inst_a, inst_b) for it in inst.spec.items if it.response.type == "categorical"]
        try:
            frame = read_table(data, string_columns=categorical)
        except (TableFormatError, FileNotFoundError) as exc:
            _fail(str(exc))
        source = f"file {data} (n={len(frame)})"
    kw: dict = {}
    if outcome_col is not None:
        kw["outcome"] = outcome_col
        needed = [outcome_col]
    else:
        kw.update(time=time_col or "time", event=event_col or "event")
        needed = [kw["time"], kw["event"]]
        if horizon is None:
            hs = [h.time for m in inst_a.spec.models for h in (getattr(m, "horizons", None) or [])]
            if not hs:
                _fail("give --horizon: the base instrument has no model horizons to default to")
            horizon = float(max(hs))
        kw["horizon"] = horizon
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        import difflib

        hints = [f"{c!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(c, list(map(str, frame.columns)), n=1)) else "") for c in missing]
        _fail(f"the cohort has no column {', '.join(hints)}")
    try:
        with err_console.status("comparing (bootstrap)..."):
            res = _compare(inst_a, inst_b, frame, margin=margin, n_boot=n_boot, seed=boot_seed, **kw)
    except (SpecError, ValueError, KeyError, TypeError) as exc:
        _fail(str(exc).strip("'\""))
    # the table is plain text with aligned columns: print it as is (no markup, no re-wrapping)
    click.echo(f"{inst_b.id} (integrated) vs {inst_a.id} (base) on {source}")
    click.echo(str(res))
    click.echo(f"\nOverall verdict: {res.verdict}")
    if output:
        payload = res.to_dict()
        payload.setdefault("verdict", res.verdict)
        payload["cohort"] = source
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="assess")


if __name__ == "__main__":  # pragma: no cover
    main()
