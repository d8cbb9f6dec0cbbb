{# Helpers shared by the staging models (normalization rules of docs/staging_rules.md). #}

{# Trimmed text, blank -> NULL. #}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}


{# Trimmed, lower-cased text, blank -> NULL. #}
{% macro clean_code(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}


{# True when the UTC date of the timestamp is outside min/max_valid_date. #}
{% macro is_implausible_timestamp(column) -%}
    {%- set window = get_valid_date_window() -%}
    (cast({{ column }} as date) < cast('{{ window[0] }}' as date)
        or cast({{ column }} as date) > cast('{{ window[1] }}' as date))
{%- endmacro %}


{# The as_of_date of this build, as a scalar (see int_as_of_date). #}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('int_as_of_date') }})
{%- endmacro %}
