{# A rate column holds fractions in [0, 1] (NULL allowed). #}
{% test is_fraction(model, column_name) %}
    {{- package_ref_scope() -}}
    select *
    from {{ touched_rows(model) }}
    where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
