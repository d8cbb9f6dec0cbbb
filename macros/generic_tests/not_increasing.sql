{#
    The column never increases along order_by within each group
    (e.g. rolling retention along period_number within a cohort).
#}
{% test not_increasing(model, column_name, group_by, order_by) %}
    {{- package_ref_scope() -}}
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
