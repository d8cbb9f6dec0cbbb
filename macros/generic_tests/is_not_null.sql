{#
    dbt's own not_null test (adapter.dispatch to dbt's implementation), under
    a name of the package's own, so that its `model` resolves inside the
    package (macros/ref.sql: package_ref_scope). A package test named
    `not_null` would replace dbt's for the user's project too.
    In a daily run of a large model it checks only the rows the run
    touched (macros/touched_rows.sql).
#}
{% test is_not_null(model, column_name) %}
    {{- package_ref_scope() -}}
    {{ adapter.dispatch('test_not_null', 'dbt')(touched_rows(model), column_name) }}
{% endtest %}
