{#
    Where the project's relations go.

    As the root project (this repository's own builds): the custom schema
    name as it is (staging, intermediate, marts, reference), not prefixed
    with the target schema, so BI tools always read `marts.*`.

    Installed as a package: dbt calls a package's own generate_schema_name
    for the package's nodes (and the root project's for the root's). Here the
    custom schema gets the prefix of the var retention_schema_prefix
    (default `retention_`: retention_staging, retention_marts, ...) and is
    then passed on to the user's own generate_schema_name (dbt's default one
    when the user has none), so the user's dev/prod rules apply and a user's
    `marts.customers` never shares a schema with the package's `customers`
    (docs/package.md). `project_name` is the root project's name.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if project_name == 'retention' -%}
        {%- if custom_schema_name is none -%}
            {{ target.schema | trim }}
        {%- else -%}
            {{ custom_schema_name | trim }}
        {%- endif -%}
    {%- else -%}
        {{ retention_package_schema_name(custom_schema_name, node) }}
    {%- endif -%}
{%- endmacro %}


{#
    Package mode: the prefixed custom schema through the root project's
    generate_schema_name (context[project_name] is the root project's macro
    namespace), or dbt's own when the root project defines none.
#}
{% macro retention_package_schema_name(custom_schema_name, node) -%}
    {%- set custom = none -%}
    {%- if custom_schema_name is not none -%}
        {%- set custom = get_schema_prefix() ~ (custom_schema_name | trim) -%}
    {%- endif -%}
    {%- set root_macros = context.get(project_name) -%}
    {%- if root_macros is mapping and 'generate_schema_name' in root_macros -%}
        {{ return(root_macros['generate_schema_name'](custom, node)) }}
    {%- else -%}
        {{ return(dbt.generate_schema_name(custom, node)) }}
    {%- endif -%}
{%- endmacro %}
