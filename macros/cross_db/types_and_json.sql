{# Types that dbt's type_* macros map differently from what we need. #}
{% macro type_ratio() -%}
    {{ return(adapter.dispatch('type_ratio', 'retention')()) }}
{%- endmacro %}

{% macro default__type_ratio() -%}double precision{%- endmacro %}

{% macro duckdb__type_ratio() -%}double{%- endmacro %}

{% macro spark__type_ratio() -%}double{%- endmacro %}


{% macro type_money() -%}decimal(18, 2){%- endmacro %}


{#
    json_is_valid(column): true when the text parses as JSON, false otherwise
    (NULL stays NULL). json_text_field(column, key): a top-level field as
    text, NULL when absent or when the text is not valid JSON.
#}
{% macro json_is_valid(column) -%}
    {{ return(adapter.dispatch('json_is_valid', 'retention')(column)) }}
{%- endmacro %}

{% macro default__json_is_valid(column) -%}
    {{ raise_not_implemented('json_is_valid') }}
{%- endmacro %}

{% macro duckdb__json_is_valid(column) -%}
    json_valid({{ column }})
{%- endmacro %}

{#
    Postgres 15 has no JSON validity test (IS JSON arrives in 16) and a bad
    cast raises an error, so the on-run-start hook create_engine_helpers()
    creates retention_try_jsonb(text): the text as jsonb, NULL when it does
    not parse.
#}
{% macro postgres__json_is_valid(column) -%}
    case
        when {{ column }} is null then null
        else {{ target.schema }}.retention_try_jsonb({{ column }}) is not null
    end
{%- endmacro %}

{% macro spark__json_is_valid(column) -%}
    case
        when {{ column }} is null then null
        else get_json_object({{ column }}, '$') is not null
    end
{%- endmacro %}


{% macro json_text_field(column, key) -%}
    {{ return(adapter.dispatch('json_text_field', 'retention')(column, key)) }}
{%- endmacro %}

{% macro default__json_text_field(column, key) -%}
    {{ raise_not_implemented('json_text_field') }}
{%- endmacro %}

{% macro duckdb__json_text_field(column, key) -%}
    case
        when json_valid({{ column }})
            then json_extract_string({{ column }}, '$.{{ key }}')
    end
{%- endmacro %}

{% macro postgres__json_text_field(column, key) -%}
    ({{ target.schema }}.retention_try_jsonb({{ column }}) ->> '{{ key }}')
{%- endmacro %}

{% macro spark__json_text_field(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}


{# True when the text matches the regular expression (anywhere; anchor it). #}
{% macro regex_matches(column, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'retention')(column, pattern)) }}
{%- endmacro %}

{# POSIX regex operator: Postgres. #}
{% macro default__regex_matches(column, pattern) -%}
    ({{ column }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_matches(column, pattern) -%}
    regexp_matches({{ column }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_matches(column, pattern) -%}
    ({{ column }} rlike '{{ pattern }}')
{%- endmacro %}
