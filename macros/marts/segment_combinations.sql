{#
    The *_by_segment marts sum per segment dimension x value. Joining every
    customer row to each of its dimensions multiplies the rows by the number
    of dimensions before grouping; instead a mart groups once per
    combination of values (few: the product of the dimensions' value counts
    at most, and only the combinations that occur) and then once per
    dimension x value from those partial sums.

    segment_combination_columns(segments): the body of a CTE with one row
    per customer of `segments` (int_customer_segments): customer_id and
    segment_value_1.. segment_value_N, the customer's value of each
    dimension of segment_dimensions, in their order.

    segment_value_columns(): segment_value_1, .., segment_value_N (for a
    select or a group by), each followed by a comma.

    unpivot_segment_combinations(relation, columns): one select per
    dimension over `relation` (grouped per combination), union all:
    segment, segment_value and the columns listed.
#}
{% macro segment_combination_columns(segments) -%}
    select
        customer_id,
        {%- for dimension in get_segment_dimensions() %}
        max(
            case
                when segment = '{{ dimension }}' then segment_value
            end
        ) as segment_value_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ segments }}
    group by customer_id
{%- endmacro %}

{% macro segment_value_columns() -%}
    {%- for dimension in get_segment_dimensions() %}
    segment_value_{{ loop.index }},
    {%- endfor %}
{%- endmacro %}

{% macro unpivot_segment_combinations(relation, columns) -%}
    {%- for dimension in get_segment_dimensions() %}
    select
        cast('{{ dimension }}' as {{ dbt.type_string() }}) as segment,
        segment_value_{{ loop.index }} as segment_value,
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
