{#
    Helpers of the incremental models (docs/incremental.md). Each incremental
    model re-processes a window: every row whose timestamp falls on or after
    the window start (the latest plausible timestamp already in the target,
    floored to its UTC day, minus incremental_lookback_days), plus every row
    whose timestamp is NULL or implausible (those cannot be placed in time, so
    they are re-processed on every run; they are few).
#}

{#
    The materialization of the incremental models: incremental where the
    engine can delete rows by key (DuckDB, Postgres), a plain table on Spark
    (dbt-spark with parquet tables only appends or overwrites partitions).
#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'retention')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


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
        where {{ timestamp_sql }} is not null
            and not {{ is_implausible_timestamp(timestamp_sql) }}
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
    after the window start, NULL, or implausible (before min_valid_date; the
    ones after max_valid_date are after the window start anyway).
#}
{% macro in_incremental_window(timestamp_sql, window_start) -%}
    {%- set valid = get_valid_date_window() -%}
    ({{ timestamp_sql }} is null
        or {{ timestamp_sql }} >= cast('{{ window_start }}' as timestamp)
        or {{ timestamp_sql }} < cast('{{ valid[0] }}' as timestamp))
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
    on a full build and where the model is a table.
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
