{#
    Use the custom schema name as it is (staging, intermediate, marts), not
    prefixed with the target schema, so BI tools always read `marts.*`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
