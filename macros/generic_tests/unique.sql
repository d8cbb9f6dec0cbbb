{#
    dbt's own unique test, unchanged (adapter.dispatch to dbt's
    implementation), declared in the package so that its `model` resolves
    inside the package (macros/ref.sql: package_ref_scope).
#}
{% test unique(model, column_name) %}
    {{- package_ref_scope() -}}
    {{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
{% endtest %}
