{#
    grant_bi_role_schema_usage(): on-run-start hook, read-only access for the
    role named by the var bi_read_role (null = no grants; nothing on engines
    without roles: DuckDB, Spark): usage on the marts' schema (created if
    missing). Granted once per run, not per model: two threads granting on
    the same schema at once fail with "tuple concurrently updated". Select on
    each mart: grant_read_to_bi_role.
#}
{% macro grant_bi_role_schema_usage() -%}
    {{ return(adapter.dispatch('grant_bi_role_schema_usage', 'retention')()) }}
{%- endmacro %}

{% macro default__grant_bi_role_schema_usage() -%}
    {%- set role = var('bi_read_role', none) -%}
    {%- if role and execute -%}
        {#- The schema the marts were given (`marts`, or in package mode
            whatever the user's generate_schema_name made of
            retention_marts), read from the graph. -#}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model'
                and node.package_name == 'retention'
                and node.fqn[1] == 'marts'
                and node.schema not in schemas -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for schema in schemas %}
        create schema if not exists {{ adapter.quote(schema) }};
        grant usage on schema {{ adapter.quote(schema) }}
            to {{ adapter.quote(role) }}{{ ';' if not loop.last }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__grant_bi_role_schema_usage() -%}{%- endmacro %}

{% macro spark__grant_bi_role_schema_usage() -%}{%- endmacro %}
