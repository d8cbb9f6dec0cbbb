{#
    integer_series(lower, upper): a select-list expression that turns one input
    row into one row per integer lower..upper (inclusive). Used to build the
    period spines of customer_cohorts and int_month_spine from the data itself, so the
    spine always ends at as_of_date.
#}
{% macro integer_series(lower, upper) -%}
    {{ return(adapter.dispatch('integer_series', 'retention')(lower, upper)) }}
{%- endmacro %}

{# A set-returning function in the select list: Postgres. #}
{% macro default__integer_series(lower, upper) -%}
    generate_series({{ lower }}, {{ upper }})
{%- endmacro %}

{% macro duckdb__integer_series(lower, upper) -%}
    unnest(generate_series({{ lower }}, {{ upper }}))
{%- endmacro %}

{% macro spark__integer_series(lower, upper) -%}
    explode(sequence({{ lower }}, {{ upper }}))
{%- endmacro %}
