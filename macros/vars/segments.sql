{#
    Readers of the segment vars (METRICS.md "Segments", docs/segments.md).
#}

{# The built-in segment dimensions, in the order the docs list them. #}
{% macro builtin_segment_dimensions() -%}
    {{ return(['acquisition_channel', 'acquisition_campaign', 'country_code', 'store']) }}
{%- endmacro %}


{#
    Every dimension a segment mart can use: the built-ins, then the
    passthrough columns under their names in customers.
#}
{% macro available_segment_dimensions() -%}
    {%- set passthrough = get_passthrough_columns() -%}
    {{ return(builtin_segment_dimensions()
        + (passthrough.customer | map(attribute='alias') | list)
        + (passthrough.first_order | map(attribute='alias') | list)) }}
{%- endmacro %}


{#
    segment_dimensions: the dimensions the *_by_segment marts use, a
    non-empty list of distinct available dimensions (case and spaces
    tolerated).
#}
{% macro get_segment_dimensions() -%}
    {%- set value = var('segment_dimensions') -%}
    {%- set available = available_segment_dimensions() -%}
    {%- set allowed = "a non-empty list of distinct segment dimensions from: "
        ~ (available | join(', '))
        ~ " (the built-ins, then customer_passthrough_columns and"
        ~ " first_order_passthrough_columns)" -%}
    {%- if value is string -%}
        {%- set value = [value] -%}
    {%- endif -%}
    {%- if value is none or value is mapping or value is not iterable -%}
        {{ _invalid_var('segment_dimensions', value, allowed) }}
    {%- endif -%}
    {%- set ns = namespace(dimensions=[]) -%}
    {%- for item in value -%}
        {%- set name = item | string | trim | lower -%}
        {%- if name not in available or name in ns.dimensions -%}
            {{ _invalid_var('segment_dimensions', var('segment_dimensions'), allowed) }}
        {%- endif -%}
        {%- set ns.dimensions = ns.dimensions + [name] -%}
    {%- endfor -%}
    {%- if ns.dimensions | length == 0 -%}
        {{ _invalid_var('segment_dimensions', var('segment_dimensions'), allowed) }}
    {%- endif -%}
    {{ return(ns.dimensions) }}
{%- endmacro %}


{# segment_max_values: how many values a dimension keeps before `other`. #}
{% macro get_segment_max_values() -%}
    {%- set value = var('segment_max_values') -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean or not modules.re.match('^[0-9]+$', text)
        or (text | int) < 1 -%}
        {{ _invalid_var('segment_max_values', value, "a whole number >= 1") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}
