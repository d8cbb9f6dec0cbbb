{#
    Parsing text into amounts and timestamps without ever raising
    (docs/staging_rules.md "Text-typed raw columns"). Each function takes
    text that is already trimmed and non-blank (raw_text()) and returns the
    parsed value, or NULL when the text is not in the accepted notation:

    - amounts: plain decimal notation only, an optional sign, 1 to 16 digits,
      optionally '.' and more digits ('12.50', '-3', '+0.5'); rounded to
      decimal(18,2) like a cast. '12,50', '1e3', '.5', 'n/a' do not parse:
      engines disagree on decimal commas and scientific notation, so we do
      not guess (docs/metric_decisions.md).
    - timestamps: ISO 8601 'YYYY-MM-DD', or 'YYYY-MM-DD HH:MM:SS' with
      optional fractions of a second (up to 6 digits) and ' ' or 'T' between
      date and time, and a real calendar value ('2024-02-30' does not parse).
      No time zone suffix: raw timestamps are UTC by contract.

    The patterns avoid backslashes ([.] not \.), which Spark string literals
    would unescape.
#}

{% macro money_text_pattern() -%}
    ^[+-]?[0-9]{1,16}([.][0-9]+)?$
{%- endmacro %}

{% macro timestamp_text_pattern() -%}
    ^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}([ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)?$
{%- endmacro %}


{# A raw column as trimmed text, blank -> NULL, whatever its type. #}
{% macro raw_text(column) -%}
    {{ clean_text('cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') }}
{%- endmacro %}


{% macro try_parse_money(text) -%}
    {{ return(adapter.dispatch('try_parse_money', 'retention')(text)) }}
{%- endmacro %}

{% macro default__try_parse_money(text) -%}
    {{ raise_not_implemented('try_parse_money') }}
{%- endmacro %}

{% macro duckdb__try_parse_money(text) -%}
    case
        when {{ regex_matches(text, money_text_pattern()) }}
            then try_cast({{ text }} as {{ type_money() }})
    end
{%- endmacro %}

{#
    No try_cast on Postgres: the pattern admits only text that numeric
    accepts, and the rounded value is range-checked before the cast to
    decimal(18,2) ('9999999999999999.999' rounds out of range). Nested
    cases: Postgres evaluates the branches of one case in order, not the
    operands of an `and`.
#}
{% macro postgres__try_parse_money(text) -%}
    case
        when {{ regex_matches(text, money_text_pattern()) }}
            then case
                when abs(round(cast({{ text }} as numeric), 2)) < 1e16
                    then cast({{ text }} as {{ type_money() }})
            end
    end
{%- endmacro %}

{# try_cast never raises, whatever spark.sql.ansi.enabled says. #}
{% macro spark__try_parse_money(text) -%}
    case
        when {{ regex_matches(text, money_text_pattern()) }}
            then try_cast({{ text }} as {{ type_money() }})
    end
{%- endmacro %}


{% macro try_parse_timestamp(text) -%}
    {{ return(adapter.dispatch('try_parse_timestamp', 'retention')(text)) }}
{%- endmacro %}

{% macro default__try_parse_timestamp(text) -%}
    {{ raise_not_implemented('try_parse_timestamp') }}
{%- endmacro %}

{% macro duckdb__try_parse_timestamp(text) -%}
    case
        when {{ regex_matches(text, timestamp_text_pattern()) }}
            then try_cast({{ text }} as timestamp)
    end
{%- endmacro %}

{#
    Postgres: the on-run-start hook create_engine_helpers() creates
    retention_try_timestamp(text), the text as timestamp or NULL when the
    calendar value does not exist. The pattern keeps out everything else
    Postgres would accept ('today', 'Jan 5 2024', '2024-01-01 24:00').
#}
{% macro postgres__try_parse_timestamp(text) -%}
    case
        when {{ regex_matches(text, timestamp_text_pattern()) }}
            then {{ target.schema }}.retention_try_timestamp({{ text }})
    end
{%- endmacro %}

{% macro spark__try_parse_timestamp(text) -%}
    case
        when {{ regex_matches(text, timestamp_text_pattern()) }}
            then try_cast({{ text }} as timestamp)
    end
{%- endmacro %}
