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
