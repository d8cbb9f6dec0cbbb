{#
    A segment value (METRICS.md "Segments"): the dimension's value as text,
    trimmed; NULL, empty or blank is `unknown`. `lower` for the dimensions
    whose values are codes compared without case (channel, campaign).
#}
{% macro segment_value(expression, lower=false) -%}
    {%- set text = 'trim(cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ '))' -%}
    coalesce(nullif({{ 'lower(' ~ text ~ ')' if lower else text }}, ''), 'unknown')
{%- endmacro %}


{# The value a dimension's smaller values are folded into (segment_max_values). #}
{% macro other_segment_value() -%}
    'other'
{%- endmacro %}
