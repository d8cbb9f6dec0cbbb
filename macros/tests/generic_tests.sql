{#
    Small generic data tests (the dbt package hub is not reachable, so the
    project carries its own). Each returns the rows that break the rule.
#}

{#
    The combination of columns is unique (a composite primary key).
    prefilter_by (optional): cheaper columns that rows equal on the
    combination are also equal on (an integer hash of a text key, say).
    Rows are grouped by them first and only groups holding more than one row
    are compared on the combination itself, so a 100M-row text key costs an
    integer aggregation; the result is exactly that of the plain test.
#}
{% test unique_combination_of_columns(model, combination_of_columns, prefilter_by=none) %}
    {%- set key = combination_of_columns | join(', ') %}
    {%- if prefilter_by %}
        with

        colliding as (
            select {{ prefilter_by | join(', ') }}
            from {{ model }}
            group by {{ prefilter_by | join(', ') }}
            having count(*) > 1
        ),

        candidates as (
            select {% for column in combination_of_columns -%}
                rows_of_model.{{ column }}{{ ', ' if not loop.last }}
            {%- endfor %}
            from {{ model }} as rows_of_model
            inner join colliding
                on {% for column in prefilter_by -%}
                    rows_of_model.{{ column }} = colliding.{{ column }}
                    {{- ' and ' if not loop.last }}
                {%- endfor %}
        )

        select
            {{ key }},
            count(*) as rows_with_this_key
        from candidates
        group by {{ key }}
        having count(*) > 1
    {%- else %}
        select
            {{ key }},
            count(*) as rows_with_this_key
        from {{ model }}
        group by {{ key }}
        having count(*) > 1
    {%- endif %}
{% endtest %}


{# Every row satisfies a boolean SQL expression (NULL counts as a failure). #}
{% test expression_is_true(model, expression, where_clause=none) %}
    select *
    from {{ model }}
    where
        {% if where_clause %}({{ where_clause }}) and{% endif %}
        not coalesce(({{ expression }}), false)
{% endtest %}


{# A rate column holds fractions in [0, 1] (NULL allowed). #}
{% test is_fraction(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}


{#
    The column never increases along order_by within each group
    (e.g. rolling retention along period_number within a cohort).
#}
{% test not_increasing(model, column_name, group_by, order_by) %}
    with ordered as (
        select
            {{ column_name }} as current_value,
            lag({{ column_name }}) over (
                partition by {{ group_by | join(', ') }}
                order by {{ order_by }}
            ) as previous_value
        from {{ model }}
    )
    select *
    from ordered
    where current_value > previous_value
{% endtest %}
