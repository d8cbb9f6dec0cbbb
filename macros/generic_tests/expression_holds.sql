{#
    Every row satisfies a boolean SQL expression; a row where it is NULL
    fails too (unlike dbt_utils' expression_is_true, which lets NULL pass).
    Restrict the rows checked with dbt's `config: where:`.
#}
{% test expression_holds(model, expression) %}
    {{- package_ref_scope() -}}
    select *
    from {{ touched_rows(model) }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
