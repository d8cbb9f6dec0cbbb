{#
    The as_of_date of this build, as a scalar (see int_as_of_date): the
    "today" that every model compares dates with instead of current_date.
#}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('retention', 'int_as_of_date') }})
{%- endmacro %}
