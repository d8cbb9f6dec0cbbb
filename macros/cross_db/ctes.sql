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
    repeated_values(relation, column): a query of the distinct non-NULL
    values of `column` that occur in more than one row of `relation` (a CTE
    or table name). Used to find the few repeated keys among 100M rows
    (stg_events__triaged). On DuckDB a sort and a comparison with the
    previous value: at 100M distinct integer keys the hash aggregate of
    `group by ... having count(*) > 1` builds a hash table of 100M groups
    and took 23.5 s of CPU against 10.4 s for the sort (a loaded 2-core
    machine; docs/incremental.md "Cost at scale"). Elsewhere the group by:
    a window without partition puts every row in one task on Spark.
#}
{% macro repeated_values(relation, column) -%}
    {{ return(adapter.dispatch('repeated_values', 'retention')(relation, column)) }}
{%- endmacro %}

{% macro default__repeated_values(relation, column) -%}
    select {{ column }}
    from {{ relation }}
    where {{ column }} is not null
    group by {{ column }}
    having count(*) > 1
{%- endmacro %}

{% macro duckdb__repeated_values(relation, column) -%}
    select distinct {{ column }}
    from (
        select
            {{ column }},
            lag({{ column }}) over (order by {{ column }}) as previous_value
        from {{ relation }}
    ) as sorted_values
    where {{ column }} = previous_value
{%- endmacro %}
