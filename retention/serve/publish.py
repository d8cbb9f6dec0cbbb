"""Publish the marts of a successful ``dbt build`` for BI readers.

DuckDB allows one writer per file, and a reader of the working warehouse
either fails on its lock or, between two dbt nodes, sees half-built marts.
So BI tools never read the working warehouse. After a ``dbt build`` whose
every node passed, ``python -m retention publish``:

1. checks ``run_results.json`` and ``manifest.json`` of the dbt project's
   target folder (``--project-dir``, ``--target-path``): a full ``dbt
   build`` (no ``--select`` / ``--exclude`` / ``--empty``; leaving out only
   unit tests, the daily run, is allowed) of this warehouse where every
   node of the ``retention`` package's part of the build (the package's
   own nodes, whatever they depend on, and any test of one of them) passed,
   and the warehouse not written since; otherwise it refuses (exit 2) and
   the last good publication stays in place. In a project that installs
   the package, a failed node of the user's own that the marts do not
   depend on is logged, not a refusal;
2. copies the marts (the package's models under ``models/marts/``, in the
   schema ``--schema``, or wherever dbt built them with
   ``--schema-from-manifest``) into the schema ``marts`` of
   a NEW DuckDB file ``versions/<build_id>/retention.duckdb``, with the
   tables ``meta.publication`` (one row: build id, dbt invocation, as_of_date,
   git sha, publication time) and ``meta.published_tables`` (row count and
   checksum of each table), plus one Parquet file per mart and
   ``publication.json``; the version is written under a temporary name,
   fsynced, then renamed;
3. swaps the symlink ``current -> versions/<build_id>`` with one atomic
   ``rename(2)``. ``retention.duckdb`` (-> ``current/retention.duckdb``) and
   ``parquet`` (-> ``current/parquet``) are fixed symlinks through it;
4. keeps the newest ``--keep`` versions and deletes older ones.

A reader that opens ``retention.duckdb`` read-only gets one complete, closed
file that no process ever writes again: it never waits, never fails on a
lock and never sees two builds mixed. A connection keeps the version it
opened; reconnect to see a newer build.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from tqdm import tqdm

from retention import RetentionError
from retention._sql import default_database

log = logging.getLogger(__name__)

DEFAULT_OUT = Path("data/published")
DEFAULT_KEEP = 3
# The marts' schema in the warehouse by default (standalone build), and
# always in the publication: readers query `marts.<mart>` whatever schema
# the build used (retention_marts, dev_retention_marts, ... in a project
# that installs the package).
MARTS_SCHEMA = "marts"
PUBLISHED_SCHEMA = "marts"
META_SCHEMA = "meta"
# The dbt package whose marts are published (the root project standalone,
# an installed package in a user's project) and the folder of its marts.
PACKAGE = "retention"
MARTS_FOLDER = "models/marts/"
RUN_RESULTS_FILE = "run_results.json"
DBT_MANIFEST_FILE = "manifest.json"
# Not marts.duckdb: its catalog would be named like the marts schema, and
# `marts.customers` would be ambiguous.
DATABASE_FILE = "retention.duckdb"
PARQUET_DIR = "parquet"
MANIFEST_FILE = "publication.json"
CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
LOCK_FILE = ".publish.lock"
# Statuses of a node that passed (dbt build exits 0 with them).
OK_STATUSES = {"success", "pass", "warn", "no-op"}
# dbt closes the warehouse right after writing run_results.json; a later
# write (a load, or a build that died before writing its results) means the
# warehouse is no longer what the results describe.
WAREHOUSE_WRITE_SLACK_SECONDS = 30.0
# run_results.json arguments that make a build partial.
PARTIAL_BUILD_ARGS = ("select", "exclude", "selector", "resource_types", "exclude_resource_types")
# ... except leaving out dbt's unit tests (`--exclude-resource-type unit_test`),
# which dbt recommends for production runs: they test the SQL on fixed
# fixtures, not the data, so every model and data test still ran.
UNIT_TESTS_ONLY = ["unit_test"]
FAILURES_LISTED = 10


class PublishRefused(RetentionError):
    """The last build is not publishable; the published marts are untouched."""


@dataclass(frozen=True, order=True)
class Mart:
    """A mart as the build wrote it: ``schema.name`` of the warehouse."""

    schema: str
    name: str

    @property
    def relation(self) -> str:
        return f"{_ident(self.schema)}.{_ident(self.name)}"


@dataclass(frozen=True)
class BuildResults:
    """What ``run_results.json`` and ``manifest.json`` say about the last dbt build."""

    invocation_id: str
    generated_at: dt.datetime
    catalog: str  # database name of the built relations (DuckDB: the file stem)
    marts: tuple[Mart, ...]  # the package's marts to publish, sorted by name
    vars: dict[str, Any]

    @property
    def build_id(self) -> str:
        stamp = self.generated_at.strftime("%Y%m%dT%H%M%S%fZ")
        return f"{stamp}-{self.invocation_id[:8]}"

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(sorted({mart.schema for mart in self.marts}))


def _split_relation(relation_name: str) -> list[str]:
    return [part.strip('"') for part in relation_name.split(".")]


def _package_of(unique_id: str) -> str:
    """``model.retention.customers`` -> ``retention`` (hooks: ``operation.retention.*``)."""
    parts = unique_id.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_mart_ids(manifest: dict[str, Any]) -> set[str]:
    """The unique ids of the package's marts: its models under models/marts/."""
    return {
        unique_id
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model"
        and node.get("package_name") == PACKAGE
        and node.get("original_file_path", "").replace("\\", "/").startswith(MARTS_FOLDER)
    }


def package_part(manifest: dict[str, Any]) -> set[str]:
    """The nodes whose failure blocks publishing: every node of the package,
    everything it depends on, and every test (data or unit) of one of them,
    the user's own tests of the package's models included. A user's model
    the marts do not depend on, and the tests of it, are not in it."""
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    own = {uid for uid, node in nodes.items() if node.get("package_name") == PACKAGE}
    checks = {
        uid
        for uid, node in nodes.items()
        if node.get("resource_type") in ("test", "unit_test")
        and set(node.get("depends_on", {}).get("nodes", [])) & own
    }
    parents = manifest.get("parent_map", {})
    upstream: set[str] = set()
    todo = list(own)
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in upstream:
                upstream.add(parent)
                todo.append(parent)
    return own | checks | upstream


def _describe(result: dict[str, Any]) -> str:
    message = result.get("message")
    detail = f" ({' '.join(str(message).split())[:200]})" if message else ""
    return f"{result['unique_id']}: {result['status']}{detail}"


def _listed(results: list[dict[str, Any]]) -> str:
    more = len(results) - FAILURES_LISTED
    return "; ".join(_describe(r) for r in results[:FAILURES_LISTED]) + (
        f" and {more} more" if more > 0 else ""
    )


def choose_marts(built: list[Mart], schema: str | None) -> list[Mart]:
    """The marts in ``schema`` (None: all of them, wherever dbt built them);
    :class:`PublishRefused` naming ``--schema`` and the schemas that hold the
    marts when ``schema`` holds none."""
    if schema is None:
        return sorted(built, key=lambda mart: mart.name)
    chosen = [mart for mart in built if mart.schema == schema]
    holders = sorted({mart.schema for mart in built})
    if not chosen:
        raise PublishRefused(
            f"--schema {schema}: the last dbt build put none of the {PACKAGE} package's marts"
            f" in schema {schema!r}; it built them in {', '.join(holders) or 'no schema'}."
            f" Pass --schema {holders[0] if holders else '<schema>'}"
            " (or --schema-from-manifest to take the schema dbt gave them)"
        )
    others = sorted(mart for mart in built if mart.schema != schema)
    if others:
        log.warning(
            "not published: marts of the %s package in other schemas than %s: %s",
            PACKAGE, schema, ", ".join(f"{m.schema}.{m.name}" for m in others),
        )
    return sorted(chosen, key=lambda mart: mart.name)


def _read_manifest(target: Path, results: dict[str, Any]) -> dict[str, Any]:
    path = target / DBT_MANIFEST_FILE
    if not path.is_file():
        raise PublishRefused(
            f"no {DBT_MANIFEST_FILE} next to {target / RUN_RESULTS_FILE}: publish reads both"
            " (dbt writes them together); run a full `dbt build` first"
        )
    manifest = json.loads(path.read_text())
    built_by = results.get("metadata", {}).get("invocation_id")
    if manifest.get("metadata", {}).get("invocation_id") != built_by:
        log.warning(
            "%s was written by another dbt command than the build of %s (a later `dbt parse`,"
            " `ls` or `compile`?); the package's nodes and their dependencies are read from it",
            path, target / RUN_RESULTS_FILE,
        )
    return manifest


def read_build_results(target: Path, schema: str | None = MARTS_SCHEMA) -> BuildResults:
    """Read ``run_results.json`` and ``manifest.json`` of dbt's ``target``
    folder; raise :class:`PublishRefused` unless they describe a full
    ``dbt build`` in which the package's part passed. ``schema`` is where the
    marts are (None: wherever dbt built them, from the manifest)."""
    run_results_path = target / RUN_RESULTS_FILE
    if not run_results_path.is_file():
        raise PublishRefused(
            f"no dbt results at {run_results_path}: run a full `dbt build` first"
            " (--project-dir / --target-path name dbt's project and target folders)"
        )
    results = json.loads(run_results_path.read_text())
    args = results.get("args", {})
    if args.get("which") != "build":
        raise PublishRefused(
            f"the last dbt command ({run_results_path}) was `dbt {args.get('which')}`,"
            " not `dbt build`: only a build runs every test before the marts are published"
        )
    partial = {name: args[name] for name in PARTIAL_BUILD_ARGS if args.get(name)}
    if sorted(partial.get("exclude_resource_types") or []) == UNIT_TESTS_ONLY:
        del partial["exclude_resource_types"]
    if partial or args.get("empty"):
        raise PublishRefused(
            f"the last dbt build was partial ({partial or {'empty': True}}): publishing needs"
            " a full `dbt build`, so that every mart comes from the same build"
        )
    manifest = _read_manifest(target, results)
    mart_ids = package_mart_ids(manifest)
    if not mart_ids:
        raise PublishRefused(
            f"{target / DBT_MANIFEST_FILE} has no model of the dbt package {PACKAGE!r} under"
            f" {MARTS_FOLDER}: is this the target folder of a project that builds the marts?"
        )
    part = package_part(manifest)
    failed, ignored = [], []
    for result in results["results"]:
        if result["status"] in OK_STATUSES:
            continue
        blocks = result["unique_id"] in part or _package_of(result["unique_id"]) == PACKAGE
        (failed if blocks else ignored).append(result)
    if failed:
        raise PublishRefused(
            f"the last dbt build had {len(failed)} failed or skipped nodes of the {PACKAGE}"
            f" package or that its marts depend on: {_listed(failed)}."
            " The published marts stay as they were"
        )
    if ignored:
        log.warning(
            "the last dbt build had %d failed or skipped nodes outside the %s package that"
            " its marts do not depend on (not published, not blocking): %s",
            len(ignored), PACKAGE, _listed(ignored),
        )
    catalogs: dict[Mart, str] = {}
    for result in results["results"]:
        relation = result.get("relation_name")
        if result["unique_id"] not in mart_ids or not relation:
            continue
        parts = _split_relation(relation)
        if len(parts) == 3:
            catalogs[Mart(parts[1], parts[2])] = parts[0]
    if not catalogs:
        raise PublishRefused(
            f"the last dbt build ({run_results_path}) built no mart of the {PACKAGE} package"
        )
    unbuilt = sorted(
        manifest["nodes"][uid]["name"]
        for uid in mart_ids
        if manifest["nodes"][uid]["name"] not in {mart.name for mart in catalogs}
    )
    if unbuilt:
        raise PublishRefused(
            f"the last dbt build did not build the marts {unbuilt} of"
            f" {target / DBT_MANIFEST_FILE} (is it from a later dbt command?):"
            " run a full `dbt build` again"
        )
    marts = choose_marts(list(catalogs), schema)
    in_catalogs = {catalogs[mart] for mart in marts}
    if len(in_catalogs) != 1:
        raise PublishRefused(f"the marts of the last build are in several databases: {in_catalogs}")
    generated_at = dt.datetime.fromisoformat(results["metadata"]["generated_at"].rstrip("Z"))
    return BuildResults(
        invocation_id=results["metadata"]["invocation_id"],
        generated_at=generated_at.replace(tzinfo=dt.UTC),
        catalog=in_catalogs.pop(),
        marts=tuple(marts),
        vars=dict(args.get("vars") or {}),
    )


def _last_write(warehouse: Path) -> float:
    """Latest mtime of the warehouse file and its WAL."""
    return max(
        path.stat().st_mtime for path in (warehouse, Path(f"{warehouse}.wal")) if path.exists()
    )


def check_warehouse(warehouse: Path, build: BuildResults, run_results_path: Path) -> None:
    """The results describe this warehouse, it has every mart, and it was not
    written after the build finished."""
    if not warehouse.is_file():
        raise PublishRefused(f"the working warehouse {warehouse} does not exist")
    if warehouse.stem != build.catalog:
        raise PublishRefused(
            f"{run_results_path} describes a build of the database {build.catalog!r},"
            f" not of {warehouse}"
        )
    written = _last_write(warehouse)
    finished = run_results_path.stat().st_mtime
    if written > finished + WAREHOUSE_WRITE_SLACK_SECONDS:
        raise PublishRefused(
            f"{warehouse} was written {written - finished:.0f} s after the last dbt build"
            f" finished ({run_results_path}): run `dbt build` again before publishing"
        )
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:
        raise PublishRefused(
            f"cannot read the working warehouse {warehouse} (is a dbt build running?): {error}"
        ) from error
    with con:
        present = {
            Mart(*row)
            for row in con.execute(
                "select table_schema, table_name from information_schema.tables"
                f" where table_schema in ({', '.join('?' for _ in build.schemas)})",
                list(build.schemas),
            ).fetchall()
        }
    missing = sorted(mart.name for mart in set(build.marts) - present)
    if missing:
        raise PublishRefused(f"the working warehouse {warehouse} lacks the marts {missing}")
    if len(build.schemas) == 1:
        stale = sorted(mart.name for mart in present - set(build.marts))
        if stale:
            log.warning(
                "not published (not a mart of the last dbt build): %s.%s", build.schemas[0], stale
            )


def _git_sha() -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            _fsync(Path(folder) / name)
        _fsync(Path(folder))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _as_of_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """``int_as_of_date`` of the working warehouse (attached as ``wh``), if present."""
    rows = con.execute(
        "select table_schema from information_schema.tables"
        " where table_catalog = 'wh' and table_name = 'int_as_of_date'"
    ).fetchall()
    if not rows:
        return None
    query = f"select as_of_date from wh.{_ident(rows[0][0])}.int_as_of_date"
    return con.execute(query).fetchone()[0]


def write_version(
    warehouse: Path,
    build: BuildResults,
    folder: Path,
    parquet: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Write ``folder/retention.duckdb`` (+ Parquet, ``publication.json``); return the manifest.

    The marts land in the schema ``marts`` of the new file, whatever schema
    the build gave them (``meta.publication.source_schemas`` keeps it)."""
    folder.mkdir(parents=True)
    database = folder / DATABASE_FILE
    published_at = dt.datetime.now(dt.UTC)
    tables: list[dict[str, Any]] = []
    with duckdb.connect(str(database)) as con:
        try:
            con.execute(f"attach {_literal(str(warehouse.resolve()))} as wh (read_only)")
        except duckdb.IOException as error:
            raise PublishRefused(
                f"cannot read {warehouse} (is a dbt build running?): {error}"
            ) from error
        as_of = _as_of_date(con)
        schema = PUBLISHED_SCHEMA
        con.execute(f"create schema {_ident(schema)}")
        for mart in tqdm(build.marts, desc="publish", unit="mart", disable=not progress):
            table = mart.name
            target = f"{_ident(schema)}.{_ident(table)}"
            con.execute(f"create table {target} as select * from wh.{mart.relation}")
            # Order-independent checksum of the rows (DuckDB's hash of the row struct).
            count, checksum = con.execute(
                f"select count(*), coalesce(sum(hash(t))::hugeint % 18446744073709551616, 0)"
                f" from {target} as t"
            ).fetchone()
            tables.append(
                {"table_schema": schema, "table_name": table, "row_count": count,
                 "checksum": str(checksum)}
            )
        con.execute("detach wh")
        manifest = {
            "build_id": build.build_id,
            "dbt_invocation_id": build.invocation_id,
            "dbt_generated_at": build.generated_at.isoformat(),
            "published_at": published_at.isoformat(),
            "as_of_date": as_of.isoformat() if as_of else None,
            "git_sha": _git_sha(),
            "dbt_vars": json.dumps(build.vars, sort_keys=True),
            "source_schemas": ",".join(build.schemas),
            "tables": tables,
        }
        con.execute(f"create schema {META_SCHEMA}")
        con.execute(
            f"create table {META_SCHEMA}.publication (build_id varchar not null,"
            " dbt_invocation_id varchar not null, dbt_generated_at timestamptz not null,"
            " published_at timestamptz not null, as_of_date date, git_sha varchar,"
            " dbt_vars varchar not null, source_schemas varchar not null)"
        )
        con.execute(
            f"insert into {META_SCHEMA}.publication values (?, ?, ?, ?, ?, ?, ?, ?)",
            [build.build_id, build.invocation_id, build.generated_at, published_at, as_of,
             manifest["git_sha"], manifest["dbt_vars"], manifest["source_schemas"]],
        )
        con.execute(
            f"create table {META_SCHEMA}.published_tables (table_schema varchar not null,"
            " table_name varchar not null, row_count bigint not null, checksum varchar not null)"
        )
        con.executemany(
            f"insert into {META_SCHEMA}.published_tables values (?, ?, ?, ?)",
            [[t["table_schema"], t["table_name"], t["row_count"], t["checksum"]] for t in tables],
        )
        if parquet:
            (folder / PARQUET_DIR).mkdir()
            for table in (mart.name for mart in build.marts):
                out = folder / PARQUET_DIR / f"{table}.parquet"
                con.execute(
                    f"copy {_ident(schema)}.{_ident(table)} to {_literal(str(out))}"
                    " (format parquet)"
                )
        con.execute("checkpoint")
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    _fsync_tree(folder)
    return manifest


def _swap_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` with one atomic rename(2)."""
    temporary = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    os.symlink(target, temporary)
    os.replace(temporary, link)


def _ensure_fixed_links(out: Path) -> None:
    """``retention.duckdb`` and ``parquet`` point through ``current`` (never change)."""
    for name in (DATABASE_FILE, PARQUET_DIR, MANIFEST_FILE):
        link, target = out / name, f"{CURRENT_LINK}/{name}"
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if link.exists() and not link.is_symlink():
            raise RetentionError(f"{link} exists and is not a symlink: move it away")
        _swap_symlink(link, target)


def current_build_id(out: Path) -> str | None:
    link = out / CURRENT_LINK
    return Path(os.readlink(link)).name if link.is_symlink() else None


def prune(out: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one)."""
    current = current_build_id(out)
    versions = sorted(
        (p for p in (out / VERSIONS_DIR).iterdir() if p.is_dir() and ".tmp-" not in p.name),
        key=lambda p: p.name,
        reverse=True,
    )
    removed = []
    for version in versions[keep:]:
        if version.name != current:
            shutil.rmtree(version)
            removed.append(version.name)
    return removed


@contextlib.contextmanager
def _publisher_lock(out: Path) -> Iterator[None]:
    """One publisher at a time (readers never take it)."""
    with open(out / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RetentionError(f"another publish is running in {out}") from error
        yield


def publish(
    warehouse: Path,
    out: Path,
    target: Path,
    schema: str | None = MARTS_SCHEMA,
    keep: int = DEFAULT_KEEP,
    parquet: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Check the last build (dbt's ``target`` folder), write a new version of
    the marts in ``schema`` (None: where the manifest says dbt built them)
    and swap it in; return its manifest."""
    if keep < 1:
        raise ValueError(f"--keep must be at least 1, got {keep}")
    run_results_path = target / RUN_RESULTS_FILE
    build = read_build_results(target, schema)
    check_warehouse(warehouse, build, run_results_path)
    out.mkdir(parents=True, exist_ok=True)
    (out / VERSIONS_DIR).mkdir(exist_ok=True)
    with _publisher_lock(out):
        for leftover in (out / VERSIONS_DIR).glob("*.tmp-*"):
            log.warning("removing %s, left by an interrupted publish", leftover)
            shutil.rmtree(leftover)
        final = out / VERSIONS_DIR / build.build_id
        if final.is_dir():
            log.info("build %s is already published", build.build_id)
            manifest = json.loads((final / MANIFEST_FILE).read_text())
        else:
            started = time.perf_counter()
            temporary = out / VERSIONS_DIR / f"{build.build_id}.tmp-{os.getpid()}"
            before = (_last_write(warehouse), run_results_path.stat().st_mtime)
            try:
                manifest = write_version(
                    warehouse, build, temporary, parquet=parquet, progress=progress
                )
                if (_last_write(warehouse), run_results_path.stat().st_mtime) != before:
                    raise PublishRefused(
                        f"{warehouse} or {run_results_path} changed while publishing"
                        " (a dbt build started?): nothing published"
                    )
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise
            os.rename(temporary, final)
            _fsync(out / VERSIONS_DIR)
            log.info("wrote %s in %.1f s", final, time.perf_counter() - started)
        previous = current_build_id(out)
        _swap_symlink(out / CURRENT_LINK, f"{VERSIONS_DIR}/{build.build_id}")
        _ensure_fixed_links(out)
        _fsync(out)
        removed = prune(out, keep)
    log.info(
        "published build %s (as_of_date %s, %d marts of %s) as %s; previous %s; removed %s",
        build.build_id, manifest["as_of_date"], len(manifest["tables"]), ", ".join(build.schemas),
        out / DATABASE_FILE, previous, removed or "none",
    )
    return manifest


def target_folder(project: Path | None, target_path: Path | None) -> Path:
    """dbt's target folder: ``target_path`` (else ``$DBT_TARGET_PATH``, else
    ``target``) under ``project`` (else ``$DBT_PROJECT_DIR``, else the
    working folder), as dbt resolves them; an absolute ``target_path`` wins."""
    project = project or Path(os.environ.get("DBT_PROJECT_DIR") or ".")
    return project / (target_path or Path(os.environ.get("DBT_TARGET_PATH") or "target"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database", type=Path, default=None,
        help="the working warehouse dbt built (default $RETENTION_DUCKDB_PATH or"
        " data/warehouse.duckdb)",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=None,
        help="the dbt project that ran the build, the retention repository or your own project"
        " that installs it as a package (default $DBT_PROJECT_DIR or the working folder)",
    )
    parser.add_argument(
        "--target-path", type=Path, default=None,
        help="dbt's target folder with run_results.json and manifest.json, relative to the"
        " project (default $DBT_TARGET_PATH or target), as dbt's --target-path",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--schema", default=MARTS_SCHEMA,
        help=f"the schema the build wrote the marts to (default {MARTS_SCHEMA}; installed as a"
        " package: e.g. retention_marts, <target schema>_retention_marts)",
    )
    where.add_argument(
        "--schema-from-manifest", action="store_true",
        help=f"publish the {PACKAGE} package's marts from the schema dbt gave them"
        " (read from manifest.json) instead of --schema",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT,
        help=f"publication folder (default {DEFAULT_OUT}); readers open <out>/{DATABASE_FILE}",
    )
    parser.add_argument(
        "--keep", type=int, default=DEFAULT_KEEP,
        help=f"published versions to keep, the current one included (default {DEFAULT_KEEP})",
    )
    parser.add_argument("--no-parquet", action="store_true", help="skip the Parquet copies")


def run(args: argparse.Namespace) -> int:
    publish(
        warehouse=args.database or default_database(),
        out=args.out,
        target=target_folder(args.project_dir, args.target_path),
        schema=None if args.schema_from_manifest else args.schema,
        keep=args.keep,
        parquet=not args.no_parquet,
        progress=not args.quiet,
    )
    return 0
