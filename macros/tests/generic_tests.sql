{#
    Small generic data tests (the dbt package hub is not reachable, so the
    project carries its own). Each returns the rows that break the rule.
#}

{# The combination of columns is unique (a composite primary key). #}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
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
