{#
    grant_read_to_bi_role(relation): post-hook of every mart (dbt_project.yml,
    marts block), select on it for the role named by the var bi_read_role
    (null = no grants; nothing on engines without roles: DuckDB, Spark).
    Usage on the schema: grant_bi_role_schema_usage.
#}
{% macro grant_read_to_bi_role(relation) -%}
    {{ return(adapter.dispatch('grant_read_to_bi_role', 'retention')(relation)) }}
{%- endmacro %}

{% macro default__grant_read_to_bi_role(relation) -%}
    {%- set role = var('bi_read_role', none) -%}
    {%- if role -%}
        grant select on {{ relation }} to {{ adapter.quote(role) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__grant_read_to_bi_role(relation) -%}{%- endmacro %}

{% macro spark__grant_read_to_bi_role(relation) -%}{%- endmacro %}
