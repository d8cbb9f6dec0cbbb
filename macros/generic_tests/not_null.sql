{#
    dbt's own not_null test, unchanged (adapter.dispatch to dbt's
    implementation), declared in the package so that its `model` resolves
    inside the package (macros/ref.sql: package_ref_scope).
#}
{% test not_null(model, column_name) %}
    {{- package_ref_scope() -}}
    {{ adapter.dispatch('test_not_null', 'dbt')(model, column_name) }}
{% endtest %}
