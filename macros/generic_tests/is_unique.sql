{#
    dbt's own unique test (adapter.dispatch to dbt's implementation), under a
    name of the package's own, so that its `model` resolves inside the
    package (macros/ref.sql: package_ref_scope). A package test named
    `unique` would replace dbt's for the user's project too.
    In a daily run of a large model it checks the keys of the rows the run
    touched against the whole table (macros/touched_rows.sql).
#}
{% test is_unique(model, column_name) %}
    {{- package_ref_scope() -}}
    {{ adapter.dispatch('test_unique', 'dbt')(
        touched_rows(model, [column_name]), column_name
    ) }}
{% endtest %}
