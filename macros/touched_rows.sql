{#
    Data tests in a daily run (docs/incremental.md, "Data tests in a daily
    run"): on the large tables, the project's generic tests check only the
    rows the run touched when the model was built incrementally in the same
    dbt invocation, and every row otherwise (a full build, --full-refresh, a
    first build, `dbt test` on its own, a model not built in this
    invocation).

    A large model opts in with `config: meta: touched_rows:` in its YAML:
      window_of: the incremental model whose run window applies (the model
        itself, or the incremental table a view filters);
      timestamp: the SQL of the window timestamp in the tested relation;
      key: the column that uniqueness tests semi-join on (below);
      late_day_margin_days (optional): widen each late day (a UTC day) by
        this many days, for a timestamp that is a reporting-timezone date.

    What a test checks in an incremental run:
    - a row-level test (is_not_null, is_accepted_value, expression_holds,
      is_fraction): the rows of the run's window (macro in_incremental_window:
      on or after the window start, on a late day, NULL or implausible);
    - a uniqueness test (is_unique, unique_columns_combination) whose columns
      include `key`: every row, in the window or not, whose key value occurs
      in the window. A new row colliding with an old row outside the window
      shares its key value, so the duplicate is found against the whole
      table; a uniqueness test whose columns do not include `key` checks
      every row.

    The rows of a uniqueness test are read as a semi-join (`key in (the
    window's keys)`, the window's rows included since their keys are the
    window's keys) plus the window's rows without a key, as two branches of
    a union: written as one `in_window or key in (...)` the engine evaluates
    the `or` on every row of the table (at 100M rows a mark join reading
    every tested column of every row; DuckDB cannot skip the rows outside
    the window). The second branch reads no data when the key column holds
    no NULL (DuckDB skips every row group by its statistics).
#}


{#
    Called by incremental_window() when a model is built incrementally: keeps
    [window_start, late_days] for the rest of this dbt invocation, in the
    graph object dbt hands to every node of one invocation. Nothing is kept
    outside an executing model (parsing, unit tests).
#}
{% macro remember_run_window(window_start, late_days) -%}
    {%- if execute and model is mapping
        and model.get('resource_type') == 'model' -%}
        {#- setdefault: one dict even when two models get here at once #}
        {%- do graph.setdefault('retention_run_windows', {}).update({
            model.unique_id: {
                'window_start': window_start, 'late_days': late_days}}) -%}
    {%- endif -%}
{%- endmacro %}


{#
    The window the model `name` of this project was built with in this
    invocation, or none (built in full, or not built in this invocation).
#}
{% macro run_window_of(name) -%}
    {%- set windows = graph.get('retention_run_windows', {}) -%}
    {{ return(windows.get('model.retention.' ~ name)) }}
{%- endmacro %}


{#
    The touched_rows settings of the project's model that `relation` reads:
    a relation (a ref, a generic test's `model`) or the subquery dbt makes
    of it for a test with `config: where:`. none when that model has none.
#}
{% macro touched_rows_settings(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rendered = relation | string | lower -%}
    {%- set ns = namespace(settings=none) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == 'retention'
            and node.config.get('meta', {}).get('touched_rows')
            and node.relation_name
            and modules.re.search(modules.re.escape(node.relation_name | lower)
                ~ '(?![a-z0-9_])', rendered) -%}
            {%- set ns.settings = node.config.meta.touched_rows -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.settings) }}
{%- endmacro %}


{#
    The rows of `relation` that a data test checks in this run (see the top of
    this file): the relation itself (every row), or a subquery over it.
    unique_columns: the columns of a uniqueness test, or none for a
    row-level test.
#}
{% macro touched_rows(relation, unique_columns=none) -%}
    {%- set settings = touched_rows_settings(relation) -%}
    {%- if settings is none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set window = run_window_of(settings['window_of']) -%}
    {%- if window is none
        or window['window_start'] <= get_valid_date_window()[0] -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set margin = settings.get('late_day_margin_days', 0) | int -%}
    {%- set late_days = [] -%}
    {%- for day in window['late_days'] -%}
        {%- for shift in range(-margin, margin + 1) -%}
            {%- do late_days.append((modules.datetime.date.fromisoformat(day)
                + modules.datetime.timedelta(days=shift)).isoformat()) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set in_window = in_incremental_window(settings['timestamp'],
        window['window_start'], late_days | unique | sort) -%}
    {%- set key = settings.get('key') -%}
    {%- if unique_columns is not none and not (key and key in unique_columns) -%}
        {{ return(relation) }}
    {%- elif unique_columns is not none -%}
        {%- set subquery -%}
            (
                select * from {{ relation }}
                where {{ key }} in (
                    select {{ key }} from {{ relation }}
                    where {{ in_window }}
                )
                union all
                select * from {{ relation }}
                where {{ key }} is null and {{ in_window }}
            ) as touched_rows
        {%- endset -%}
        {{ return(subquery) }}
    {%- endif -%}
    {%- set subquery -%}
        (
            select * from {{ relation }}
            where {{ in_window }}
        ) as touched_rows
    {%- endset -%}
    {{ return(subquery) }}
{%- endmacro %}
