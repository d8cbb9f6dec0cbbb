{#
    Date arithmetic used by every model. dbt's cross-database macros come
    first; the dispatched versions below exist where engines differ.
#}

{# Whole days from start_date to end_date (end - start). #}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'retention')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}


{# date_expr plus a whole number of days, as a date. #}
{% macro add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}


{# First day of the grain period (ISO week starting Monday, month, quarter). #}
{% macro period_start(date_expr, grain) -%}
    cast({{ dbt.date_trunc(grain, date_expr) }} as date)
{%- endmacro %}


{# date_expr (a period start) moved by n whole grain periods, as a date. #}
{% macro add_periods(date_expr, n, grain) -%}
    {%- if grain == 'week' -%}
        {{ add_days(date_expr, '7 * (' ~ n ~ ')') }}
    {%- elif grain == 'quarter' -%}
        cast({{ dbt.dateadd('month', '3 * (' ~ n ~ ')', date_expr) }} as date)
    {%- else -%}
        cast({{ dbt.dateadd(grain, n, date_expr) }} as date)
    {%- endif -%}
{%- endmacro %}


{# Last day of the grain period that starts on period_start_expr. #}
{% macro period_end(period_start_expr, grain) -%}
    {{ add_days(add_periods(period_start_expr, 1, grain), -1) }}
{%- endmacro %}


{#
    Whole grain periods from one period start to another (both already
    truncated to the grain), computed from calendar parts so that every engine
    agrees.
#}
{% macro periods_between(start_period, end_period, grain) -%}
    {%- if grain == 'week' -%}
        cast({{ days_between(start_period, end_period) }} / 7 as integer)
    {%- else -%}
        {%- set months -%}
            ((extract(year from {{ end_period }}) - extract(year from {{ start_period }})) * 12
            + extract(month from {{ end_period }}) - extract(month from {{ start_period }}))
        {%- endset -%}
        {%- if grain == 'quarter' -%}
            cast({{ months }} / 3 as integer)
        {%- else -%}
            cast({{ months }} as integer)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
