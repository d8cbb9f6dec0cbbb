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

    On Spark the filters above are on keys and timestamps, which skip no
    Parquet partition: there a test of a table partitioned by month reads
    only the partitions that hold a touched row (touched_partitions, at the
    end of this file), the same rows as over the whole table.
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
    The project's model that `relation` reads when it has touched_rows
    settings: a relation (a ref, a generic test's `model`) or the subquery
    dbt makes of it for a test with `config: where:`. none otherwise.
#}
{% macro touched_rows_node(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rendered = relation | string | lower -%}
    {%- set ns = namespace(node=none) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == 'retention'
            and node.config.get('meta', {}).get('touched_rows')
            and node.relation_name
            and modules.re.search(modules.re.escape(node.relation_name | lower)
                ~ '(?![a-z0-9_])', rendered) -%}
            {%- set ns.node = node -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.node) }}
{%- endmacro %}


{#
    The touched_rows settings of the project's model that `relation` reads
    (touched_rows_node), or none.
#}
{% macro touched_rows_settings(relation) -%}
    {%- set node = touched_rows_node(relation) -%}
    {{ return(node.config.meta.touched_rows if node is not none else none) }}
{%- endmacro %}


{#
    The run window that applies to `relation` in this invocation, as
    {in_window: the SQL predicate of the window's rows, key: the settings'
    key or none}, or none when its tests check every row.
#}
{% macro touched_rows_window(relation) -%}
    {%- set settings = touched_rows_settings(relation) -%}
    {%- if settings is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set window = run_window_of(settings['window_of']) -%}
    {%- if window is none
        or window['window_start'] <= get_valid_date_window()[0] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set margin = settings.get('late_day_margin_days', 0) | int -%}
    {%- set late_days = [] -%}
    {%- for day in window['late_days'] -%}
        {%- for shift in range(-margin, margin + 1) -%}
            {%- do late_days.append((modules.datetime.date.fromisoformat(day)
                + modules.datetime.timedelta(days=shift)).isoformat()) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return({
        'in_window': in_incremental_window(settings['timestamp'],
            window['window_start'], late_days | unique | sort),
        'key': settings.get('key'),
    }) }}
{%- endmacro %}


{#
    The rows of `relation` that a data test checks in this run (see the top of
    this file): the relation itself (every row), or a subquery over it.
    unique_columns: the columns of a uniqueness test, or none for a
    row-level test.
#}
{% macro touched_rows(relation, unique_columns=none) -%}
    {%- set window = touched_rows_window(relation) -%}
    {%- if window is none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set in_window = window['in_window'] -%}
    {%- set key = window['key'] -%}
    {%- if unique_columns is not none and not (key and key in unique_columns) -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set relation = touched_partitions(relation, window) -%}
    {%- if unique_columns is not none -%}
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


{#
    The rows of `relation` that can share a value of `columns` with a
    touched row (a uniqueness test's second read: unique_columns_combination
    fetches the rows of its colliding prefilter groups by these columns):
    on Spark, in a daily run, the partitions that hold a row whose key
    occurs in the window (touched_partitions), when `columns` include the
    key; the relation itself otherwise.
#}
{% macro touched_rows_relation(relation, columns) -%}
    {%- set window = touched_rows_window(relation) -%}
    {%- if window is none or not (window['key'] and window['key'] in columns) -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return(touched_partitions(relation, window)) }}
{%- endmacro %}


{#
    touched_partitions(relation, window): the part of `relation` that holds
    every touched row (docs/incremental.md, "Data tests in a daily run"):
    the relation itself, except on Spark for a table partitioned by one
    column (the incremental models' partition_month), where it is the
    partitions that hold a row whose key occurs in the window or a window
    row without a key: a superset of the rows any test of the relation
    reads in this run (row-level tests read the window's rows, uniqueness
    tests the rows whose key occurs in the window), so each test returns
    exactly what it returns over the whole table. A key can span
    partitions (an event_id's earlier copy in an older month, an order
    whose versions moved month), so the partitions are found by a
    pre-scan of the relation, not derived from the window's dates: the
    distinct partition values of the touched rows, a semi-join that reads
    only the key, the timestamp and the partition column. Spark then
    prunes the test's scans to those partitions (literals). The list is
    kept for the rest of the invocation (the relation is built once per
    invocation, before every test that reads it), so the tests of one
    relation share one pre-scan.
#}
{% macro touched_partitions(relation, window) -%}
    {{ return(adapter.dispatch('touched_partitions', 'retention')(relation, window)) }}
{%- endmacro %}

{% macro default__touched_partitions(relation, window) -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro spark__touched_partitions(relation, window) -%}
    {%- set node = touched_rows_node(relation) -%}
    {%- set partition_by = node.config.get('partition_by') if node is not none else none -%}
    {%- if partition_by is string -%}
        {%- set partition_by = [partition_by] -%}
    {%- endif -%}
    {%- if node is none or node.config.get('materialized') != 'incremental'
        or not partition_by or partition_by | length != 1 -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set column = partition_by[0] -%}
    {%- set key = window['key'] -%}
    {%- set in_window = window['in_window'] -%}
    {%- set prescan -%}
        select distinct {{ column }}
        from (
            {%- if key %}
            select {{ column }} from {{ relation }}
            where {{ key }} in (
                select {{ key }} from {{ relation }}
                where {{ in_window }}
            )
            union all
            select {{ column }} from {{ relation }}
            where {{ key }} is null and {{ in_window }}
            {%- else %}
            select {{ column }} from {{ relation }}
            where {{ in_window }}
            {%- endif %}
        ) as touched_rows
    {%- endset -%}
    {%- set cache = graph.setdefault('retention_touched_partitions', {}) -%}
    {%- if prescan not in cache -%}
        {%- do cache.update({prescan: run_query(prescan).columns[0].values() | list}) -%}
    {%- endif -%}
    {%- set values = cache[prescan] -%}
    {%- set literals = [] -%}
    {%- for value in values if value is not none -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value | string) -%}
            {#- not a date partition: no pruning #}
            {{ return(relation) }}
        {%- endif -%}
        {%- do literals.append("cast('" ~ value ~ "' as date)") -%}
    {%- endfor -%}
    {%- set conditions = [] -%}
    {%- if literals -%}
        {%- do conditions.append(column ~ ' in (' ~ (literals | sort | join(', ')) ~ ')') -%}
    {%- endif -%}
    {%- if none in values -%}
        {%- do conditions.append(column ~ ' is null') -%}
    {%- endif -%}
    {%- set pruned -%}
        (
            select * from {{ relation }}
            where {{ conditions | join(' or ') if conditions else 'false' }}
        )
    {%- endset -%}
    {{ return(pruned) }}
{%- endmacro %}
