{#
    grant_bi_role_schema_usage(): on-run-start hook, read-only access for the
    role named by the var bi_read_role (null = no grants; nothing on engines
    without roles: DuckDB, Spark): usage on the marts schema (created if
    missing). Granted once per run, not per model: two threads granting on
    the same schema at once fail with "tuple concurrently updated". Select on
    each mart: grant_read_to_bi_role.
#}
{% macro grant_bi_role_schema_usage() -%}
    {{ return(adapter.dispatch('grant_bi_role_schema_usage', 'retention')()) }}
{%- endmacro %}

{% macro default__grant_bi_role_schema_usage() -%}
    {%- set role = var('bi_read_role', none) -%}
    {%- if role -%}
        {%- set schema = generate_schema_name('marts', none) -%}
        create schema if not exists {{ adapter.quote(schema) }};
        grant usage on schema {{ adapter.quote(schema) }} to {{ adapter.quote(role) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__grant_bi_role_schema_usage() -%}{%- endmacro %}

{% macro spark__grant_bi_role_schema_usage() -%}{%- endmacro %}
