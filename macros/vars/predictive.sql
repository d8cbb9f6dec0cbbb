{#
    True where the predictive CLV models (dbt Python models) are built: the
    var python_models is true and the engine runs them here (not Postgres,
    not Spark). The YAML `enabled:` of the CLV models says the same.
#}
{% macro predictive_models_enabled() -%}
    {{ return((var('python_models') | string | lower) == 'true'
        and target.type not in ('postgres', 'spark')) }}
{%- endmacro %}
