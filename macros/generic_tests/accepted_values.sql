{#
    dbt's own accepted_values test, unchanged (adapter.dispatch to dbt's
    implementation), declared in the package so that its `model` resolves
    inside the package (macros/ref.sql: package_ref_scope).
#}
{% test accepted_values(model, column_name, values, quote=True) %}
    {{- package_ref_scope() -}}
    {{ adapter.dispatch('test_accepted_values', 'dbt')(
        model, column_name, values, quote
    ) }}
{% endtest %}
