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
    {{ return(adapter.dispatch('add_days', 'retention')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{#
    Spark: date_add on the date itself. dbt-spark's dateadd goes through
    unix timestamps and null checks, an expression dozens of nodes deep
    for each call, which Spark plans and compiles for every query
    (docs/warehouses.md, "Spark").
#}
{% macro spark__add_days(date_expr, days) -%}
    date_add(cast({{ date_expr }} as date), cast(({{ days }}) as int))
{%- endmacro %}


{#
    First day of the grain period: day, ISO week (Monday), month, quarter,
    half_year (January 1 or July 1) or year. The one home of the grain
    arithmetic (with add_periods, period_end and periods_between below).
#}
{% macro period_start(date_expr, grain) -%}
    {%- if grain == 'half_year' -%}
        case
            when extract(month from {{ date_expr }}) >= 7
                then {{ add_periods(period_start(date_expr, 'year'), 1, 'half_year') }}
            else {{ period_start(date_expr, 'year') }}
        end
    {%- else -%}
        cast({{ dbt.date_trunc(grain, date_expr) }} as date)
    {%- endif -%}
{%- endmacro %}


{# date_expr (a period start) moved by n whole grain periods, as a date. #}
{% macro add_periods(date_expr, n, grain) -%}
    {%- if grain == 'week' -%}
        {{ add_days(date_expr, '7 * (' ~ n ~ ')') }}
    {%- elif grain in ('quarter', 'half_year', 'year') -%}
        {%- set months = {'quarter': 3, 'half_year': 6, 'year': 12}[grain] -%}
        cast({{ dbt.dateadd('month', months ~ ' * (' ~ n ~ ')', date_expr) }} as date)
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
    {%- if grain == 'day' -%}
        cast({{ days_between(start_period, end_period) }} as integer)
    {%- elif grain == 'week' -%}
        cast({{ days_between(start_period, end_period) }} / 7 as integer)
    {%- else -%}
        {%- set months -%}
            ((extract(year from {{ end_period }}) - extract(year from {{ start_period }})) * 12
            + extract(month from {{ end_period }}) - extract(month from {{ start_period }}))
        {%- endset -%}
        {%- if grain in ('quarter', 'half_year', 'year') -%}
            {%- set per = {'quarter': 3, 'half_year': 6, 'year': 12}[grain] -%}
            cast({{ months }} / {{ per }} as integer)
        {%- else -%}
            cast({{ months }} as integer)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
