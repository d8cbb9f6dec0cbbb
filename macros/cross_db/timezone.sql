{#
    to_reporting_timestamp(column): a UTC timestamp (without zone) converted to
    the wall-clock time of `reporting_timezone`, still without zone.
    timezone_exists_sql(tz): a query returning 0 when the database does not know
    the zone, or none when the engine offers no catalogue to check against.
#}
{% macro to_reporting_timestamp(column) -%}
    {%- set tz = get_reporting_timezone() -%}
    {%- if tz | upper in ('UTC', 'ETC/UTC') -%}
        {{ column }}
    {%- else -%}
        {{ return(adapter.dispatch('to_reporting_timestamp', 'retention')(column, tz)) }}
    {%- endif -%}
{%- endmacro %}

{# Standard SQL AT TIME ZONE: Postgres and DuckDB. #}
{% macro default__to_reporting_timestamp(column, tz) -%}
    cast(({{ column }} at time zone 'UTC') at time zone '{{ tz }}' as timestamp)
{%- endmacro %}

{% macro spark__to_reporting_timestamp(column, tz) -%}
    from_utc_timestamp({{ column }}, '{{ tz }}')
{%- endmacro %}


{% macro to_reporting_date(column) -%}
    cast({{ to_reporting_timestamp(column) }} as date)
{%- endmacro %}


{% macro timezone_exists_sql(tz) -%}
    {{ return(adapter.dispatch('timezone_exists_sql', 'retention')(tz)) }}
{%- endmacro %}

{% macro default__timezone_exists_sql(tz) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__timezone_exists_sql(tz) -%}
    {{ return("select count(*) from pg_timezone_names() where name = '" ~ tz ~ "'") }}
{%- endmacro %}

{% macro postgres__timezone_exists_sql(tz) -%}
    {{ return("select count(*) from pg_timezone_names where name = '" ~ tz ~ "'") }}
{%- endmacro %}
