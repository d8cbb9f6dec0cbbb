{#
    Helpers of the incremental models (docs/incremental.md). Each incremental
    model re-processes a window: every row whose timestamp falls on or after
    the window start (the latest plausible timestamp already in the target,
    floored to its UTC day, minus incremental_lookback_days), plus every row
    whose timestamp is NULL or implausible (those cannot be placed in time, so
    they are re-processed on every run; they are few).
#}

{#
    The first UTC day of the window as 'YYYY-MM-DD': the UTC date of the
    latest plausible `timestamp_sql` in `relation`, minus `extra_days` and
    incremental_lookback_days. min_valid_date (re-process everything) when the
    relation holds no plausible timestamp. Runs a query: call it only when
    is_incremental().
#}
{% macro incremental_window_start(relation, timestamp_sql, extra_days=0) -%}
    {%- set lookback = get_incremental_lookback_days() -%}
    {%- set valid = get_valid_date_window() -%}
    {%- if not execute -%}
        {{ return(valid[0]) }}
    {%- endif -%}
    {%- set query -%}
        select cast(max({{ timestamp_sql }}) as date) as latest_date
        from {{ relation }}
        where {{ is_plausible_timestamp_range(timestamp_sql) }}
    {%- endset -%}
    {%- set latest = run_query(query).rows[0][0] -%}
    {%- if latest is none -%}
        {{ return(valid[0]) }}
    {%- endif -%}
    {%- set latest_date = modules.datetime.date.fromisoformat((latest | string)[:10]) -%}
    {%- set start = latest_date - modules.datetime.timedelta(days=lookback + extra_days) -%}
    {{ return([start.isoformat(), valid[0]] | max) }}
{%- endmacro %}


{#
    True for the rows an incremental run re-processes: the timestamp is on or
    after the window start, NULL, implausible (before min_valid_date; the
    ones after max_valid_date are after the window start anyway), or on one
    of late_days (UTC days before the window that received raw rows since
    the last run, from late_raw_days).
#}
{% macro in_incremental_window(timestamp_sql, window_start, late_days=[]) -%}
    {%- set valid = get_valid_date_window() -%}
    ({{ timestamp_sql }} is null
        or {{ timestamp_sql }} >= cast('{{ window_start }}' as timestamp)
        or {{ timestamp_sql }} < cast('{{ valid[0] }}' as timestamp)
        {%- if late_days %}
        or {{ is_on_late_day(timestamp_sql, late_days) }}
        {%- endif %})
{%- endmacro %}


{# True when the UTC day of timestamp_sql is one of late_days. #}
{% macro is_on_late_day(timestamp_sql, late_days) -%}
    {%- if late_days -%}
        cast({{ timestamp_sql }} as date) in (
            {%- for day in late_days %}
            cast('{{ day }}' as date){% if not loop.last %},{% endif %}
            {%- endfor %}
        )
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#
    Late rows of any lateness (docs/incremental.md): the UTC days before
    window_start whose rows in `relation` (with a plausible `timestamp_sql`)
    are more than int_triaged_rows_by_day counted for `source_table`
    (events or orders) at the end of the last run. The raw tables only grow,
    so such a day received rows the incremental models have not processed
    yet; they re-process it whole, like a day of the window. The staging
    models count the raw table, the intermediate ones the triaged table.
    One count of the rows before the window comes first (a range filter on
    the timestamp, no grouping): when it equals the bookkeeping's total, no
    day is late and the per-day count is skipped.
    Returns a list of 'YYYY-MM-DD', or none when int_triaged_rows_by_day
    does not exist (first run after an upgrade): the caller then
    re-processes everything from min_valid_date. Runs queries: call it only
    when is_incremental().
#}
{% macro late_raw_days(source_table, relation, timestamp_sql, window_start) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set settled = triaged_rows_by_day_relation() -%}
    {%- if settled is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set before_window -%}
        {{ timestamp_sql }} >= cast('{{ get_valid_date_window()[0] }}' as timestamp)
        and {{ timestamp_sql }} < cast('{{ window_start }}' as timestamp)
    {%- endset -%}
    {%- set totals -%}
        select
            (select count(*) from {{ relation }} where {{ before_window }})
                as counted_rows,
            (
                select coalesce(sum(triaged_rows), 0) from {{ settled }}
                where
                    source_table = '{{ source_table }}'
                    and window_date < cast('{{ window_start }}' as date)
            ) as settled_rows
    {%- endset -%}
    {%- set total = run_query(totals).rows[0] -%}
    {%- if total[0] == total[1] -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        with

        counted as (
            select
                cast({{ timestamp_sql }} as date) as window_date,
                count(*) as counted_rows
            from {{ relation }}
            where {{ before_window }}
            group by cast({{ timestamp_sql }} as date)
        )

        select counted.window_date
        from counted
        left join {{ settled }} as settled
            on
                settled.source_table = '{{ source_table }}'
                and counted.window_date = settled.window_date
        where counted.counted_rows != coalesce(settled.triaged_rows, 0)
        order by counted.window_date
    {%- endset -%}
    {%- set days = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do days.append((row[0] | string)[:10]) -%}
    {%- endfor -%}
    {%- if days -%}
        {%- do log(this ~ ": " ~ days | length ~ " day(s) before " ~ window_start
            ~ " received late rows, re-processed: " ~ days | join(', '), info=true) -%}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{#
    The window start and late days of an incremental model in one call:
    [window_start, late_days]. When the bookkeeping of late days is missing
    the window starts at min_valid_date (everything is re-processed once).
    The window is remembered for the data tests of the same invocation,
    which then check only the rows the run touched (macros/touched_rows.sql).
#}
{% macro incremental_window(relation, timestamp_sql, counted_relation,
    counted_timestamp_sql, source_table, extra_days=0) -%}
    {%- set window_start = incremental_window_start(relation, timestamp_sql, extra_days) -%}
    {%- set late_days = late_raw_days(source_table, counted_relation,
        counted_timestamp_sql, window_start) -%}
    {%- if late_days is none -%}
        {%- set window_start, late_days = get_valid_date_window()[0], [] -%}
    {%- endif -%}
    {%- do remember_run_window(window_start, late_days) -%}
    {{ return([window_start, late_days]) }}
{%- endmacro %}


{#
    int_triaged_rows_by_day, looked up by name in the graph: the incremental
    models read the count it kept at the end of the last run, before it is
    rebuilt (referencing it would make a cycle). none when it does not exist
    yet.
#}
{% macro triaged_rows_by_day_relation() -%}
    {%- set ns = namespace(relation=none) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == 'retention'
            and node.name == 'int_triaged_rows_by_day' -%}
            {%- set ns.relation = adapter.get_relation(
                database=node.database, schema=node.schema,
                identifier=node.alias) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.relation) }}
{%- endmacro %}


{#
    The delete+insert key of a __triaged model: the normalized key, or for
    rows without one, '~missing~' plus the UTC day of the row's timestamp
    ('out_of_range' when it is NULL or implausible). Every raw row of one
    triage key is always re-processed together, so deleting a key and
    inserting its rows again never loses or doubles a row.
#}
{% macro triage_key(key_column, timestamp_sql) -%}
    coalesce(
        {{ key_column }},
        '~missing~' || case
            when
                {{ timestamp_sql }} is null
                or {{ is_implausible_timestamp(timestamp_sql) }}
                then 'out_of_range'
            else cast(cast({{ timestamp_sql }} as date) as {{ dbt.type_string() }})
        end
    )
{%- endmacro %}


{#
    post-hook of incremental models that mark vanished keys with a tombstone
    row (a row the model can never produce otherwise): deletes them. A no-op
    on a full build. DuckDB and Postgres only (incremental_config); on Spark
    tombstones are never written (spark__rewrite_partitions_sql).
#}
{% macro delete_incremental_tombstones(predicate) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ predicate }}
    {%- endif -%}
{%- endmacro %}


{#
    Stops an incremental run with a plain message when the existing table
    lacks a column this version of the model needs (a table built by an
    older version): rebuild it with --full-refresh.
#}
{% macro require_incremental_columns(relation, columns) -%}
    {%- if execute -%}
        {%- set present = adapter.get_columns_in_relation(relation)
            | map(attribute='name') | map('lower') | list -%}
        {%- set missing = columns | reject('in', present) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " has no column " ~ missing | join(', ')
                ~ ": it was built by an older version of this project, or"
                ~ " before that column was added to the passthrough vars. Run"
                ~ " `dbt build --full-refresh` once (docs/incremental.md).") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#
    Drops from the existing table the columns this version of the model no
    longer writes (a table built by an older version), before an
    incremental run inserts its rows: one describe of the table when none
    is left. The drop itself is engine-specific (drop_retired_column).
#}
{% macro retire_incremental_columns(relation, columns) -%}
    {%- if execute and relation is not string -%}
        {%- set present = adapter.get_columns_in_relation(relation)
            | map(attribute='name') | map('lower') | list -%}
        {%- for column in columns if column in present -%}
            {%- do drop_retired_column(relation, column) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#
    Two CTEs of the event models that keep customer-days or customer rows
    (int_customer_event_days, int_customer_early_events): `reranked_ids`,
    the event_ids whose copies a run may have re-ranked (an implausibly
    early copy ranks first on every run; a late day may have brought a
    copy), and `reranked_days`, the customer-days (reporting dates) before
    `before_date` that their copies touch: an earlier copy turns the staged
    one into a duplicate, a late day's copy may be staged itself.
    `triaged_events` names the CTE over stg_events__triaged.
#}
{% macro reranked_event_days_ctes(triaged_events, late_days, before_date) -%}
    reranked_ids as (
        select distinct
            key_hash,
            event_id
        from {{ triaged_events }}
        where
            event_id is not null
            and (
                occurred_at
                < cast('{{ get_valid_date_window()[0] }}' as timestamp)
                {%- if late_days %}
                or {{ is_on_late_day('occurred_at', late_days) }}
                {%- endif %}
            )
    ),

    reranked_days as (
        select distinct
            customer_id,
            {{ to_reporting_date('occurred_at') }} as event_date
        from {{ triaged_events }}
        where
            key_hash in (select key_hash from reranked_ids)
            and event_id in (select event_id from reranked_ids)
            and (
                disposition = 'duplicate'
                {%- if late_days %}
                or {{ is_on_late_day('occurred_at', late_days) }}
                {%- endif %}
            )
            and customer_id is not null
            and occurred_at is not null
            and not {{ is_implausible_timestamp('occurred_at') }}
            and {{ to_reporting_date('occurred_at') }}
            < cast('{{ before_date }}' as date)
    )
{%- endmacro %}


{#
    Whether reranked_days (reranked_event_days_ctes over `triaged_relation`,
    stg_events__triaged) holds a customer-day. On Spark one small query
    finds out: when it holds none, the model leaves out the branch that
    joins every event to it (Spark shuffles every event for it, even when
    it is empty). Everywhere else always true: the SQL stays as it is.
    Runs a query on Spark: call it only when is_incremental().
#}
{% macro has_reranked_event_days(triaged_relation, late_days, before_date) -%}
    {{ return(adapter.dispatch('has_reranked_event_days', 'retention')(
        triaged_relation, late_days, before_date)) }}
{%- endmacro %}

{% macro default__has_reranked_event_days(triaged_relation, late_days, before_date) -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__has_reranked_event_days(triaged_relation, late_days, before_date) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        with

        {{ reranked_event_days_ctes(triaged_relation, late_days, before_date) }}

        select 1 as found
        from reranked_days
        limit 1
    {%- endset -%}
    {{ return(run_query(query).rows | length > 0) }}
{%- endmacro %}
