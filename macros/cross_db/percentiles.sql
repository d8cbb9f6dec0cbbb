{#
    Continuous percentile (linear interpolation between the closest ranks,
    as numpy's default and SQL's percentile_cont) of expr, fraction in [0, 1].
    An aggregate: use it with group by.
#}
{% macro percentile_cont(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'retention')(expr, fraction)) }}
{%- endmacro %}

{# Standard SQL ordered-set aggregate: Postgres and most warehouses. #}
{% macro default__percentile_cont(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}
