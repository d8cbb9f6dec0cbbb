{#
    dbt's own accepted_values test (adapter.dispatch to dbt's
    implementation), under a name of the package's own, so that its `model`
    resolves inside the package (macros/ref.sql: package_ref_scope). A
    package test named `accepted_values` would replace dbt's for the user's
    project too.
    In a daily run of a large model it checks only the rows the run
    touched (macros/touched_rows.sql).
#}
{% test is_accepted_value(model, column_name, values, quote=True) %}
    {{- package_ref_scope() -}}
    {{ adapter.dispatch('test_accepted_values', 'dbt')(
        touched_rows(model), column_name, values, quote
    ) }}
{% endtest %}
