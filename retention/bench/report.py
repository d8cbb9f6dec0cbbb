"""The benchmark report: the performance targets judged, Markdown tables and a JSON file.

The targets (TARGETS below) are the project's performance goals, documented in
docs/benchmark.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GB = 1e9
HOT_MODELS = 10

SPARK_NOT_BENCHED = "no Spark tenth in this run (make bench BENCH_ENGINE=spark BENCH_SIZES=tenth)"


@dataclass(frozen=True)
class Target:
    """A performance target of issue 17 (docs/benchmark.md): measure ``op`` ``limit``."""

    key: str
    description: str
    op: str  # "<=", "<" or ">="
    limit: float
    unit: str


TARGETS: list[Target] = [
    Target("daily_vs_full_headline", "daily build / full build at headline", "<=", 0.10, ""),
    Target("daily_vs_full_tenth", "daily build / full build at tenth", "<=", 0.10, ""),
    Target("daily_seconds_headline", "daily build at headline (quiet machine)", "<=", 15, "s"),
    Target("full_vs_floor_headline", "full build / floor at headline", "<=", 3, "x"),
    Target("full_peak_headline", "peak memory of the full build at headline", "<=", 8, "GB"),
    Target(
        "retention_churn_vs_pandas_step",
        "cohort retention + churn vs the pandas step at headline",
        ">=",
        50,
        "x",
    ),
    Target("rfm_vs_lifetimes", "rfm_summary vs lifetimes at headline", ">=", 30, "x"),
    Target(
        "from_raw_vs_pandas",
        "from raw: the matching models with upstream vs the pandas pipeline at headline",
        ">=",
        10,
        "x",
    ),
    Target(
        "from_raw_peak_vs_pandas",
        "peak memory: full dbt build / pandas from raw at headline",
        "<",
        1,
        "x",
    ),
    Target("spark_daily_vs_full_tenth", "Spark daily build / full build at tenth", "<=", 0.3, ""),
    Target(
        "spark_full_vs_duckdb_tenth", "Spark full build / DuckDB full build at tenth", "<=", 8, "x"
    ),
    Target(
        "spark_marts_differing_tenth",
        "Spark marts that differ from DuckDB's at tenth",
        "<=",
        0,
        "marts",
    ),
]


@dataclass(frozen=True)
class Measurement:
    """A target's measured value; ``bound``: "" (exact), "at least" or "at most"
    (a peer stopped by its cap only bounds the true value); ``note``: why it is
    missing or bounded."""

    value: float | None
    bound: str = ""
    note: str = ""


def _size(report: dict[str, Any], name: str, engine: str = "duckdb") -> dict[str, Any] | None:
    return next(
        (s for s in report["sizes"] if s["size"] == name and s.get("engine", "duckdb") == engine),
        None,
    )


def _built(size: dict[str, Any], *labels: str) -> str:
    """Why the builds ``labels`` of ``size`` give no timing ("" when they all succeeded)."""
    failed = [label for label in labels if size[label]["returncode"] != 0]
    return f"{' and '.join(f.replace('_', ' ') for f in failed)} failed" if failed else ""


def _fraction(numerator: float, denominator: float, digits: int = 3) -> float | None:
    return round(numerator / denominator, digits) if denominator > 0 else None


def _daily_vs_full(size: dict[str, Any] | None, name: str) -> Measurement:
    if size is None:
        return Measurement(None, note=f"{name} not in this run")
    problem = _built(size, "full_build", "incremental_build")
    if problem:
        return Measurement(None, note=problem)
    full = size["full_build"]["wall_seconds"]
    invocation = (size.get("dbt_parse") or {}).get("invocation_seconds")
    note = ""
    if invocation:
        note = (
            f"one dbt invocation that runs no node costs {invocation:.1f} s here, "
            f"{_fraction(invocation, full, 2)} of the full build"
        )
    return Measurement(_fraction(size["incremental_build"]["wall_seconds"], full), note=note)


def _peer_ratio(size: dict[str, Any] | None, comparison: str) -> Measurement:
    """A peer's judged ratio at ``size`` (a lower bound when the peer hit its time cap)."""
    if size is None:
        return Measurement(None, note="headline not in this run")
    peers = size.get("peers")
    if not peers:
        return Measurement(None, note="peers not run at headline (--peer-max-orders)")
    if "comparisons" not in peers:
        return Measurement(None, note=f"peers skipped: {peers.get('skipped')}")
    c = peers["comparisons"][comparison]
    note = "" if c["status"] == "ok" else f"{c['peer']}: {c['status_text']}"
    if c["ratio"] is None:
        return Measurement(None, note=note or "no time measured")
    return Measurement(c["ratio"], "at least" if c["peer_seconds_is_lower_bound"] else "", note)


def _peak_vs_pandas(size: dict[str, Any] | None) -> Measurement:
    """dbt's full build peak / the pandas pipeline's peak; a pandas peer that did not
    finish needed at least the peak it reached, so the ratio is then at most the value."""
    if size is None:
        return Measurement(None, note="headline not in this run")
    peers = size.get("peers") or {}
    process = peers.get("processes", {}).get("pandas_from_raw")
    if process is None or not process.get("peak_rss_bytes"):
        return Measurement(None, note="pandas from raw not run")
    if process["status"] not in ("ok", "timeout", "out_of_memory"):
        return Measurement(None, note=f"pandas_from_raw: {process['status_text']}")
    value = _fraction(size["full_build"]["peak_rss_bytes"], process["peak_rss_bytes"])
    note = (
        f"{size['full_build']['peak_rss_bytes'] / GB:.2f} GB vs "
        f"{process['peak_rss_bytes'] / GB:.2f} GB"
    )
    if process["status"] != "ok":
        return Measurement(value, "at most", f"{note}; pandas_from_raw: {process['status_text']}")
    return Measurement(value, "", note)


def _spark(report: dict[str, Any]) -> dict[str, Measurement]:
    spark, duckdb_tenth = _size(report, "tenth", "spark"), _size(report, "tenth")
    if spark is None:
        missing = Measurement(None, note=SPARK_NOT_BENCHED)
        return {
            "spark_daily_vs_full_tenth": missing,
            "spark_full_vs_duckdb_tenth": missing,
            "spark_marts_differing_tenth": missing,
        }
    versus = Measurement(None, note="no DuckDB tenth in this run")
    if duckdb_tenth is not None and not _built(spark, "full_build"):
        spark_full = spark["full_build"]["wall_seconds"]
        versus = Measurement(_fraction(spark_full, duckdb_tenth["full_build"]["wall_seconds"]))
    differing = spark.get("marts_differing_from_duckdb")
    return {
        "spark_daily_vs_full_tenth": _daily_vs_full(spark, "Spark tenth"),
        "spark_full_vs_duckdb_tenth": versus,
        "spark_marts_differing_tenth": Measurement(None, note="marts not compared")
        if differing is None
        else Measurement(float(len(differing)), note=", ".join(differing)),
    }


def measured_values(report: dict[str, Any]) -> dict[str, Measurement]:
    """The measure of each target in this report (a value of None: not measured, and why).

    A Spark size, once the runner has one, is a size entry with ``"engine": "spark"``
    and ``marts_differing_from_duckdb`` (the names of the marts that differ).
    """
    headline, tenth = _size(report, "headline"), _size(report, "tenth")
    values = {
        "daily_vs_full_headline": _daily_vs_full(headline, "headline"),
        "daily_vs_full_tenth": _daily_vs_full(tenth, "tenth"),
        "retention_churn_vs_pandas_step": _peer_ratio(
            headline, "cohort_retention_and_churn_vs_pandas"
        ),
        "rfm_vs_lifetimes": _peer_ratio(headline, "rfm_summary_vs_lifetimes"),
        "from_raw_vs_pandas": _peer_ratio(headline, "pandas_from_raw"),
        "from_raw_peak_vs_pandas": _peak_vs_pandas(headline),
        **_spark(report),
    }
    missing = Measurement(None, note="headline not in this run")
    values["daily_seconds_headline"] = values["full_vs_floor_headline"] = missing
    values["full_peak_headline"] = missing
    if headline is not None:
        full, daily = headline["full_build"], headline["incremental_build"]
        load = report.get("machine", {}).get("load_average_at_start", ["?"])[0]
        values["daily_seconds_headline"] = (
            Measurement(None, note=_built(headline, "incremental_build"))
            if daily["returncode"] != 0
            else Measurement(daily["wall_seconds"], note=f"load average {load} at the start")
        )
        floor = headline.get("floor", {}).get("seconds", 0.0)
        values["full_vs_floor_headline"] = (
            Measurement(None, note=_built(headline, "full_build") or "no floor measured")
            if full["returncode"] != 0 or not floor
            else Measurement(
                _fraction(full["wall_seconds"], floor),
                note=f"{full['wall_seconds']:.1f} s / {floor:.1f} s",
            )
        )
        values["full_peak_headline"] = Measurement(round(full["peak_rss_bytes"] / GB, 2))
    return values


def _met(value: float, op: str, limit: float) -> bool:
    return {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]


def _verdict(target: Target, measurement: Measurement) -> str:
    """met / MISSED / not measured; a bound decides only when it settles the question."""
    value = measurement.value
    if value is None:
        return "not measured"
    met = _met(value, target.op, target.limit)
    higher_is_better = target.op == ">="
    if measurement.bound == "at least":  # the true value is >= value
        if met and higher_is_better:
            return "met"
        if not met and not higher_is_better:
            return "MISSED"
        return "not measured"
    if measurement.bound == "at most":  # the true value is <= value
        if met and not higher_is_better:
            return "met"
        if not met and higher_is_better:
            return "MISSED"
        return "not measured"
    return "met" if met else "MISSED"


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _margin(target: Target, value: float | None, verdict: str) -> str:
    """By how much: the distance to the limit, and the factor a missed target is off by."""
    if value is None or verdict == "not measured":
        return ""
    unit = f" {target.unit}" if target.unit else ""
    gap = _number(abs(value - target.limit)) + unit
    if verdict == "met":
        return f"{gap} to spare"
    if target.op == ">=":
        factor = f" (needs {target.limit / value:.1f}x)" if value > 0 else ""
        return f"{gap} short{factor}"
    factor = f" ({value / target.limit:.1f}x the limit)" if target.limit > 0 else ""
    return f"{gap} over{factor}"


def judge(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target: measured value, met / MISSED / not measured, by how much, and a note."""
    values = measured_values(report)
    verdicts = []
    for target in TARGETS:
        measurement = values[target.key]
        verdict = _verdict(target, measurement)
        verdicts.append(
            {
                "target": target.key,
                "description": target.description,
                "op": target.op,
                "limit": target.limit,
                "unit": target.unit,
                "value": measurement.value,
                "bound": measurement.bound,
                "verdict": verdict,
                "margin": _margin(target, measurement.value, verdict),
                "note": measurement.note,
            }
        )
    return verdicts


def _gb(value: int | None) -> str:
    return "" if value is None else f"{value / GB:.2f}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value}x"


def _status(build: dict[str, Any]) -> str:
    if build["returncode"] == 0:
        return "ok"
    return f"exit {build['returncode']}, {len(build['not_ok'])} nodes not ok"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _header(report: dict[str, Any]) -> list[str]:
    machine = report["machine"]
    lines = [
        f"# Benchmark {report['started_utc']}",
        "",
        f"DuckDB memory_limit {report['profile']['duckdb_memory_limit']}, "
        f"{report['profile']['threads']} threads; {machine['cpus']} CPUs, "
        f"{machine['memory_bytes'] / GB:.0f} GB RAM; load average at start "
        f"{machine['load_average_at_start']}, at end {machine.get('load_average_at_end')}; "
        f"DuckDB {machine['duckdb']}, Python {machine['python']}. "
        f"Total {report['seconds']:.0f} s.",
    ]
    if report.get("note"):
        lines += ["", f"Note: {report['note']}"]
    return lines


BUILD_COLUMNS = [
    "size",
    "raw customers",
    "raw orders",
    "raw events",
    "generator time / peak",
    "load s",
    "full build s",
    "models / tests s (sum)",
    "full peak GB",
    "full",
    "next day orders / events",
    "incremental s",
    "incr. peak GB",
    "incremental",
]


def _label(s: dict[str, Any]) -> str:
    """The size's name, with its engine when that is not DuckDB."""
    engine = s.get("engine", "duckdb")
    return s["size"] if engine == "duckdb" else f"{s['size']} ({engine})"


def _build_row(s: dict[str, Any]) -> list[str]:
    gen = s["generator"]
    gen_text = (
        f"{gen['seconds']:.0f} s / {_gb(gen.get('peak_rss_bytes'))} GB"
        if "seconds" in gen
        else "n/a"
    ) + (" (reused)" if gen.get("reused") else "")
    full, inc = s["full_build"], s["incremental_build"]
    raw, added = s["raw_rows"], s["next_day_rows"]
    return [
        _label(s),
        f"{raw.get('customers', 0):,}",
        f"{raw.get('orders', 0):,}",
        f"{raw.get('events', 0):,}",
        gen_text,
        f"{s['load_seconds']:.1f}",
        f"{full['wall_seconds']:.1f}",
        f"{full['models_seconds']:.1f} / {full['tests_seconds']:.1f}",
        _gb(full["peak_rss_bytes"]),
        _status(full),
        f"{added.get('orders', 0):,} / {added.get('events', 0):,}",
        f"{inc['wall_seconds']:.1f}",
        _gb(inc["peak_rss_bytes"]),
        _status(inc),
    ]


JUDGED = (
    "Judged (issue 17): wall times of `dbt build` (full: models, data tests, unit tests; "
    "daily: `dbt build --exclude-resource-type unit_test` after one new day, every model "
    "and data test), both from the parse state of a `dbt parse` run before them (section "
    "dbt's own cost), and the peak memory of dbt's process tree, in the same run; the floor "
    "is the sum of the floor queries' times on the same file and DuckDB settings (section "
    "Floor); cohort retention + churn = the pandas cohort retention + churn step given "
    "purchases vs the execution time (run_results.json) of the matching models "
    "cohort_retention, cohort_retention_by_channel, int_month_spine and churn; rfm_summary "
    "= lifetimes on ready transactions vs int_rfm_summary + rfm_summary; from raw = the "
    "pandas pipeline (staging, purchases, cohort retention, churn; reading raw into pandas "
    "not counted) vs the same models with every model upstream of them (their execution "
    "times summed), and its peak memory vs the full build's. Each peer runs in its own "
    'process; a peer stopped by its time cap gives a lower bound ("at least"), which '
    "decides a target only when it settles it. Why a target is missed and what would "
    "close it: bench/results/NOTES.md."
)


def _shown(v: dict[str, Any]) -> str:
    if v["value"] is None:
        return ""
    prefix = {"at least": ">= ", "at most": "<= "}.get(v.get("bound", ""), "")
    unit = f" {v['unit']}" if v["unit"] else ""
    return f"{prefix}{v['value']:g}{unit}"


def _targets(report: dict[str, Any]) -> list[str]:
    lines = ["", "## Targets", ""]
    lines += _table(
        ["target", "limit", "measured", "verdict", "by", "note"],
        [
            [
                v["description"],
                f"{v['op']} {v['limit']:g}" + (f" {v['unit']}" if v["unit"] else ""),
                _shown(v),
                v["verdict"],
                v["margin"],
                v["note"],
            ]
            for v in report["targets"]
        ],
    )
    return lines + ["", JUDGED]


def _floor(report: dict[str, Any]) -> list[str]:
    sizes = [s for s in report["sizes"] if s.get("floor")]
    if not sizes:
        return []
    names = list(sizes[0]["floor"]["queries"])
    descriptions = [sizes[0]["floor"]["queries"][n]["description"] for n in names]
    header = ["size", *[f"{d} s" for d in descriptions]]
    header += ["floor s", "full build s", "full / floor", "daily build s", "daily / floor"]
    rows = []
    for s in sizes:
        floor, full, daily = s["floor"], s["full_build"], s["incremental_build"]
        rows.append(
            [
                s["size"],
                *[
                    f"{floor['queries'][n]['seconds']:.2f} ({floor['queries'][n]['rows']:,} rows)"
                    for n in names
                ],
                f"{floor['seconds']:.2f}",
                f"{full['wall_seconds']:.1f}",
                _x(_fraction(full["wall_seconds"], floor["seconds"], 1)),
                f"{daily['wall_seconds']:.1f}",
                _x(_fraction(daily["wall_seconds"], floor["seconds"], 1)),
            ]
        )
    text = (
        "The floor: queries any correct pipeline must run on the raw data, each a "
        "`create table ... as select` on the bench database just after loading, with "
        "dbt's DuckDB memory_limit (retention/bench/floor.py, docs/benchmark.md)."
    )
    return ["", "## Floor", "", text, "", *_table(header, rows)]


PEER_COLUMNS = [
    "peer (own process)",
    "outcome",
    "process s / peak GB",
    "peer s",
    "dbt s",
    "ratio",
    "numbers agree",
]


def _seconds(c: dict[str, Any]) -> str:
    if c["peer_seconds"] is None:
        return "n/a"
    return (">= " if c["peer_seconds_is_lower_bound"] else "") + f"{c['peer_seconds']:.2f}"


def _ratio_text(c: dict[str, Any], key: str = "ratio") -> str:
    if c.get(key) is None:
        return "n/a"
    return (">= " if c["peer_seconds_is_lower_bound"] else "") + f"{c[key]}x"


def _process(p: dict[str, Any]) -> str:
    if p.get("wall_seconds") is None:
        return ""
    return f"{p['wall_seconds']:.1f} / {_gb(p['peak_rss_bytes'])}"


def _agrees(p: dict[str, Any], checks: list[str]) -> str:
    found = [(c, p["agreement"][c]) for c in checks if c in p.get("agreement", {})]
    if not found:
        return "not compared"
    return ", ".join(f"{c.split('_vs_')[0]} {a['agree']} ({a['rows']:,} rows)" for c, a in found)


def _peer_rows(peers: dict[str, Any]) -> list[list[str]]:
    c, p = peers["comparisons"], peers["processes"]
    raw, step = c["pandas_from_raw"], c["cohort_retention_and_churn_vs_pandas"]
    life, rfmp = c["rfm_summary_vs_lifetimes"], c["rfm_summary_vs_pandas"]
    retention_churn = ["cohort_retention_vs_pandas", "churn_vs_pandas"]
    read = raw.get("read_seconds")
    return [
        [
            "pandas from raw: staging + purchases + cohort retention + churn",
            p["pandas_from_raw"]["status_text"],
            _process(p["pandas_from_raw"]),
            _seconds(raw) + ("" if read is None else f" (+ {read:.2f} reading raw)"),
            f"{raw['dbt']['seconds_with_upstream']:.2f} (with "
            f"{raw['dbt']['upstream_models']} upstream models)",
            _ratio_text(raw),
            _agrees(p["pandas_from_raw"], retention_churn),
        ],
        [
            "pandas cohort retention + churn step (given purchases)",
            p["pandas_step"]["status_text"],
            _process(p["pandas_step"]),
            _seconds(step),
            f"{step['dbt']['seconds']:.2f} (DuckDB alone "
            f"{_num(step['dbt'].get('engine_seconds'))})",
            f"{_ratio_text(step)} ({_ratio_text(step, 'ratio_engine_only')} vs DuckDB alone)",
            _agrees(p["pandas_step"], retention_churn),
        ],
        [
            "lifetimes summary_data_from_transaction_data",
            p["lifetimes"]["status_text"],
            _process(p["lifetimes"]),
            _seconds(life),
            f"{life['dbt']['seconds']:.2f} (with upstream "
            f"{life['dbt']['seconds_with_upstream']:.2f}, DuckDB alone "
            f"{_num(life['dbt'].get('engine_seconds'))})",
            f"{_ratio_text(life)} ({_ratio_text(life, 'ratio_with_upstream')} with upstream, "
            f"{_ratio_text(life, 'ratio_engine_only')} vs DuckDB alone)",
            _agrees(p["lifetimes"], ["rfm_summary_vs_lifetimes"]),
        ],
        [
            "pandas RFM summary (reference; in the step's process)",
            p["pandas_step"]["status_text"],
            "",
            _seconds(rfmp),
            f"{rfmp['dbt']['seconds']:.2f}",
            _ratio_text(rfmp),
            _agrees(p["pandas_step"], ["rfm_summary_vs_pandas"]),
        ],
    ]


def _peers(s: dict[str, Any]) -> list[str]:
    peers = s.get("peers")
    if not peers:
        return []
    lines = ["", f"## Peers at {s['size']} ({s['raw_rows']['orders']:,} raw orders)", ""]
    if "comparisons" not in peers:
        return lines + [f"Skipped: {peers.get('skipped')}"]
    limits = peers["limits"]
    cap = limits.get("memory_limit_bytes")
    lines += [
        f"Each peer in its own process, time cap {limits['timeout_seconds']:g} s, "
        + (f"address-space cap {cap / GB:.1f} GB" if cap else "no memory cap")
        + f"; as_of_date {peers['as_of_date']}. The full build's peak: "
        f"{_gb(s['full_build']['peak_rss_bytes'])} GB.",
        "",
    ]
    lines += _table(PEER_COLUMNS, _peer_rows(peers))
    problems = [p for v in peers["agreement"].values() for p in v["problems"]]
    if problems:
        lines += ["", "Disagreements:", *[f"- {p}" for p in problems]]
    return lines


def _hottest(report: dict[str, Any]) -> list[str]:
    lines = ["", "## Hottest models", ""]
    for s in report["sizes"]:
        for label in ("full_build", "incremental_build"):
            nodes = [n for n in s[label]["nodes"] if n["resource_type"] == "model"]
            hot = sorted(nodes, key=lambda n: -n["seconds"])[:HOT_MODELS]
            total = sum(n["seconds"] for n in nodes) or 1.0
            lines.append(
                f"- {_label(s)}, {label.replace('_', ' ')}: "
                + ", ".join(
                    f"{n['name']} {n['seconds']:.1f} s ({100 * n['seconds'] / total:.0f}%)"
                    for n in hot
                )
            )
    return lines


# Groups of models whose share of a build the report states (docs/benchmark.md).
MODEL_GROUPS: dict[str, tuple[str, ...]] = {
    "segment marts": (
        "int_customer_segments",
        "cohort_retention_by_segment",
        "churn_by_segment",
        "ltv_by_segment",
    ),
    # The lifecycle stage at every month end and the flows between them.
    "lifecycle flows": (
        "int_customer_stage_snapshots",
        "lifecycle_flows",
    ),
}


def group_share(build: dict[str, Any], names: tuple[str, ...]) -> dict[str, float]:
    """Seconds of the named models in a build, their share of all model
    seconds and of the build's wall time (0 when the build has none)."""
    nodes = [n for n in build["nodes"] if n["resource_type"] == "model"]
    seconds = sum(n["seconds"] for n in nodes if n["name"] in names)
    models = sum(n["seconds"] for n in nodes)
    wall = float(build.get("wall_seconds") or 0.0)
    return {
        "seconds": round(seconds, 2),
        "share_of_models": seconds / models if models else 0.0,
        "share_of_wall": seconds / wall if wall else 0.0,
    }


def _groups(report: dict[str, Any]) -> list[str]:
    lines = ["", "## Model groups", ""]
    rows = []
    for s in report["sizes"]:
        for group, names in MODEL_GROUPS.items():
            for label in ("full_build", "incremental_build"):
                share = group_share(s[label], names)
                rows.append(
                    [
                        _label(s),
                        group,
                        label.replace("_", " "),
                        f"{share['seconds']:.1f} s",
                        f"{100 * share['share_of_models']:.1f}%",
                        f"{100 * share['share_of_wall']:.1f}%",
                    ]
                )
    header = ["size", "group", "build", "model seconds", "of all models", "of wall time"]
    return lines + _table(header, rows)


def _growth(report: dict[str, Any]) -> list[str]:
    headline, tenth = _size(report, "headline"), _size(report, "tenth")
    if not (headline and tenth):
        return []
    full, tenth_full = headline["full_build"], tenth["full_build"]
    ratio = _fraction(full["wall_seconds"], tenth_full["wall_seconds"], 2)
    return ["", f"10x the data (tenth -> headline): the full build takes {_x(ratio)} the time."]


DBT_COST_COLUMNS = [
    "size",
    "full parse s",
    "no-op invocation s",
    "full build s (parse)",
    "daily build s (parse)",
    "daily - no-op invocation s",
    "that / full build",
]


def _dbt_cost(report: dict[str, Any]) -> list[str]:
    """What dbt itself costs per invocation, beside the builds of the same run."""
    rows = []
    for s in report["sizes"]:
        parse = s.get("dbt_parse")
        if not parse or parse.get("returncode"):
            continue
        full, daily = s["full_build"], s["incremental_build"]
        invocation = parse["invocation_seconds"]
        work = daily["wall_seconds"] - invocation
        rows.append(
            [
                s["size"] if s.get("engine", "duckdb") == "duckdb" else f"{s['size']} (spark)",
                f"{parse['full_parse_seconds']:.1f}",
                f"{invocation:.1f}",
                f"{full['wall_seconds']:.1f} ({full.get('parse', 'n/a')})",
                f"{daily['wall_seconds']:.1f} ({daily.get('parse', 'n/a')})",
                f"{work:.1f}",
                _num(_fraction(work, full["wall_seconds"])),
            ]
        )
    if not rows:
        return []
    lines = ["", "## dbt's own cost", ""]
    lines += [
        "`dbt parse` into a fresh target folder (a full parse of the project), then again "
        "(a partial parse that finds nothing changed: the fixed cost of any dbt invocation, "
        "start-up included, before its first node). The builds start from that parse state, "
        "as a scheduled job reuses its checkout's target/ from one morning to the next; in "
        "brackets, how each build loaded the project (reused: nothing re-parsed; from its "
        "dbt.log).",
        "",
    ]
    return lines + _table(DBT_COST_COLUMNS, rows)


def _spark_steps(s: dict[str, Any]) -> list[list[str]]:
    rows = [["load the Parquet", "", f"{s['load_seconds']:.1f}", _gb(s.get("load_peak_rss_bytes"))]]
    for label, build in (("full build", s["full_build"]), ("daily build", s["incremental_build"])):
        for name, step in build.get("steps", {}).items():
            status = "ok" if step["returncode"] == 0 else f"exit {step['returncode']}"
            rows.append(
                [
                    label,
                    f"{name} ({status})",
                    f"{step['wall_seconds']:.1f}",
                    _gb(step["peak_rss_bytes"]),
                ]
            )
        rows.append(
            [label, "**total**", f"**{build['wall_seconds']:.1f}**", _gb(build["peak_rss_bytes"])]
        )
        if label == "full build" and "append" in s:
            append = s["append"]
            rows.append(
                [
                    "append the next day",
                    "",
                    f"{append['wall_seconds']:.1f}",
                    _gb(append["peak_rss_bytes"]),
                ]
            )
    return rows


def _spark_section(report: dict[str, Any]) -> list[str]:
    """Each Spark size: its steps (each a process with its own JVM) and the marts
    compared with DuckDB's."""
    lines: list[str] = []
    for s in report["sizes"]:
        if s.get("engine") != "spark":
            continue
        lines += ["", f"## Spark at {s['size']}", ""]
        lines += [
            "Local Spark (Derby metastore); full build = `retention build --full-refresh`: "
            "dbt build, the fit step (`retention clv-fit`) and dbt build of the models after "
            "it, in one process with one Spark session (a step's peak memory is the "
            "process's, in its total row); daily build = the same without unit tests or "
            "--full-refresh after the next day (docs/benchmark.md).",
            "",
        ]
        lines += _table(["phase", "step", "wall s", "peak GB"], _spark_steps(s))
        differing = s.get("marts_differing_from_duckdb")
        if differing is None:
            lines += ["", f"Marts not compared with DuckDB's: {s.get('comparison', 'n/a')}."]
            continue
        compared = s.get("marts_compared", 0)
        lines += [
            "",
            f"Marts compared with DuckDB's after both daily builds: {compared}, "
            f"differing: {len(differing)}" + (f" ({', '.join(differing)})." if differing else "."),
        ]
        for mart in differing:
            lines += [f"- {mart}: {p}" for p in s["mart_differences"][mart][:3]]
    return lines


def markdown(report: dict[str, Any]) -> str:
    """The Markdown report: header, builds, targets, floor, peers per size, hottest models."""
    lines = _header(report)
    lines += ["", "## Builds", ""]
    lines += _table(BUILD_COLUMNS, [_build_row(s) for s in report["sizes"]])
    lines += _growth(report)
    lines += _targets(report)
    lines += _dbt_cost(report)
    lines += _floor(report)
    for s in report["sizes"]:
        lines += _peers(s)
    lines += _spark_section(report)
    lines += _hottest(report)
    lines += _groups(report)
    return "\n".join(lines) + "\n"


def write_reports(report: dict[str, Any], out_dir: Path) -> Path:
    """Judge the targets into the report; write ``bench-<utc>-<sizes>.json`` and ``.md``."""
    report["targets"] = judge(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = report["started_utc"].replace(":", "").replace("-", "")
    names = [s["size"] for s in report["sizes"] if s.get("engine", "duckdb") == "duckdb"]
    engines = sorted({s.get("engine", "duckdb") for s in report["sizes"]} - {"duckdb"})
    stem = f"bench-{stamp}-{'-'.join([*names, *engines])}"
    (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    path = out_dir / f"{stem}.md"
    path.write_text(markdown(report))
    return path
