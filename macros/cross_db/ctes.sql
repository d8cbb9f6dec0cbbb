{#
    inline_cte(): the keyword that asks the engine to inline a CTE into each
    query that reads it instead of materializing it once. A CTE over a
    100M-row table that two branches read is cheaper scanned twice than
    written to a temporary result (DuckDB materializes a CTE read more than
    once). Spark always inlines and knows no such keyword.
    Use: `name as {{ inline_cte() }} (select ...)`.
#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'retention')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}not materialized{%- endmacro %}

{% macro spark__inline_cte() -%}{%- endmacro %}


{#
    materialized_cte(): the keyword that asks the engine to compute a CTE
    once, before the query that reads it, instead of inlining it (DuckDB,
    Postgres 12+). Use it for a small intermediate result that must be
    known before a large scan filters on it, so that the optimizer cannot
    fold the two steps back into one. Spark has no such keyword.
    Use: `name as {{ materialized_cte() }} (select ...)`.
#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'retention')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}materialized{%- endmacro %}

{% macro spark__materialized_cte() -%}{%- endmacro %}


{#
    repeated_values(relation, columns): a query of the distinct combinations
    of `columns` (a column name or a list of names), none of them NULL, that
    occur in more than one row of `relation` (a CTE or table name, or a
    subquery with its alias). Used to find the few repeated keys among
    100M rows (stg_events__triaged, the key uniqueness test).
    - DuckDB, one column: a sort and a comparison with the previous value.
      At 100M distinct integer keys the hash aggregate of `group by ...
      having count(*) > 1` builds a hash table of 100M groups and took
      23.5 s of CPU against 10.4 s for the sort (a loaded 2-core machine;
      docs/incremental.md "Cost at scale").
    - Spark: a count over a window partitioned by the columns, which
      shuffles and sorts the keys: the hash aggregate's map-side step
      gains nothing on nearly unique keys and spilled (10.1M hashes at
      tenth: 4.5 s against 9.2 s, a quiet machine). A window without
      partition, as on DuckDB, would put every row in one Spark task.
    - Otherwise (Postgres; DuckDB with several columns) the group by.
#}
{% macro repeated_values(relation, columns) -%}
    {%- set columns = [columns] if columns is string else columns -%}
    {{ return(adapter.dispatch('repeated_values', 'retention')(relation, columns)) }}
{%- endmacro %}

{% macro default__repeated_values(relation, columns) -%}
    select {{ columns | join(', ') }}
    from {{ relation }}
    where {{ _all_not_null(columns) }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{%- endmacro %}

{% macro duckdb__repeated_values(relation, columns) -%}
    {%- if columns | length > 1 -%}
        {{ return(default__repeated_values(relation, columns)) }}
    {%- endif -%}
    {%- set column = columns[0] -%}
    select distinct {{ column }}
    from (
        select
            {{ column }},
            lag({{ column }}) over (order by {{ column }}) as previous_value
        from {{ relation }}
    ) as sorted_values
    where {{ column }} = previous_value
{%- endmacro %}

{% macro spark__repeated_values(relation, columns) -%}
    select distinct {{ columns | join(', ') }}
    from (
        select
            {{ columns | join(', ') }},
            count(*) over (partition by {{ columns | join(', ') }}) as copies
        from {{ relation }}
        where {{ _all_not_null(columns) }}
    ) as counted_values
    where copies > 1
{%- endmacro %}

{% macro _all_not_null(columns) -%}
    {%- for column in columns -%}
        {{ column }} is not null{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#
    small_result_table(identifier, sql): on Spark, when a model is run (not
    compiled, not in a unit test), writes the result of `sql` to a table
    `identifier` in the model's schema and returns it; elsewhere none, and
    the caller keeps `sql` as a CTE. Drop the table with the post-hook
    drop_small_result_table(identifier); a failed run leaves it for the next
    run, which replaces it.
    Why: when a query joins a large input with a small result computed in
    the same query (the few repeated keys of 10M events), Spark plans a
    sort-merge join before it knows the small side's size and shuffles
    every row of the large side; adaptive execution switches to a broadcast
    only after that shuffle has run. Written first, the result's size is
    known (its files), so Spark broadcasts it when it is small (under
    spark.sql.autoBroadcastJoinThreshold) and keeps the sort-merge join
    when it is not (every key repeated, say). A broadcast hint would
    broadcast it whatever its size, and a cached view is not matched
    inside the model's query (tried). Measured at tenth (10.1M events,
    local Spark, 2 cores): docs/incremental.md, "Cost at scale".
#}
{% macro small_result_table(identifier, sql) -%}
    {{ return(adapter.dispatch('small_result_table', 'retention')(identifier, sql)) }}
{%- endmacro %}

{% macro default__small_result_table(identifier, sql) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__small_result_table(identifier, sql) -%}
    {%- if not (execute and flags.WHICH in ('build', 'run', 'retry')
        and model.resource_type == 'model') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relation = this.incorporate(path={'identifier': identifier}) -%}
    {%- do run_query('drop table if exists ' ~ relation) -%}
    {%- do run_query('create table ' ~ relation ~ ' using parquet as ' ~ sql) -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro drop_small_result_table(identifier) -%}
    {{ return(adapter.dispatch('drop_small_result_table', 'retention')(identifier)) }}
{%- endmacro %}

{% macro default__drop_small_result_table(identifier) -%}{%- endmacro %}

{% macro spark__drop_small_result_table(identifier) -%}
    drop table if exists {{ this.incorporate(path={'identifier': identifier}) }}
{%- endmacro %}


{#
    known_empty_result(sql): true on Spark when a data test is run (not
    compiled) and `sql` returns no row, found by a query run first (a
    count); false elsewhere and otherwise, when the caller keeps its query
    unchanged. For a small step of a test that is usually empty (the
    colliding groups of unique_columns_combination): Spark plans the join
    of a large relation with it as a sort-merge join and shuffles every row
    of the relation before it learns that the step is empty. Measured at
    tenth (10.1M triaged events, local Spark, 2 cores): the uniqueness test
    of stg_events__triaged 9.0 s before, 6.7 s with the count first
    (docs/incremental.md, "Cost at scale").
#}
{% macro known_empty_result(sql) -%}
    {{ return(adapter.dispatch('known_empty_result', 'retention')(sql)) }}
{%- endmacro %}

{% macro default__known_empty_result(sql) -%}
    {{ return(false) }}
{%- endmacro %}

{% macro spark__known_empty_result(sql) -%}
    {%- if not (execute and flags.WHICH in ('build', 'test', 'retry')
        and model.resource_type == 'test') -%}
        {{ return(false) }}
    {%- endif -%}
    {#- a count, not `limit 1`: Spark runs a limit over a window
        partition by partition, which measured slower #}
    {%- set found = run_query('select count(*) from (' ~ sql ~ ') as probe') -%}
    {{ return(found.rows[0][0] == 0) }}
{%- endmacro %}
