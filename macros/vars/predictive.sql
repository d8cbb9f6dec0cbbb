{#
    True where the predictive CLV marts (clv_model_params,
    customer_value_predictions) are built: wherever the var python_models is
    true. How they are fitted depends on the engine (clv_fit_in_dbt below).
    The YAML `enabled:` of the CLV models says the same.
#}
{% macro predictive_models_enabled() -%}
    {{ return((var('python_models') | string | lower) == 'true') }}
{%- endmacro %}


{#
    True where dbt itself fits the CLV models: DuckDB runs the dbt Python
    models int_clv_model_fit and int_clv_customer_predictions in process.
    False on Postgres and Spark, where the fit is a step between two dbt runs
    (`retention clv-fit`, docs/predictive_clv.md) and the SQL models
    int_clv_step_fit and int_clv_step_predictions read what it wrote.
#}
{% macro clv_fit_in_dbt() -%}
    {{ return(target.type not in ('postgres', 'spark')) }}
{%- endmacro %}


{#
    The model with the long fit rows (int_clv_model_fit's columns) and the
    model with the per-customer predictions (int_clv_customer_predictions'
    columns) on this engine.
#}
{% macro clv_fit_model() -%}
    {{ return('int_clv_model_fit' if clv_fit_in_dbt() else 'int_clv_step_fit') }}
{%- endmacro %}

{% macro clv_predictions_model() -%}
    {{ return('int_clv_customer_predictions' if clv_fit_in_dbt() else 'int_clv_step_predictions') }}
{%- endmacro %}


{#
    The tables `retention clv-fit` writes next to int_clv_keys (same database
    and schema, the package's own intermediate schema): `params` (the long fit
    rows) or `keys` (the predictions per distinct key).
#}
{% macro clv_fit_step_relation(kind) -%}
    {%- set identifier = {'params': 'int_clv_fitted_params', 'keys': 'int_clv_fitted_keys'}[kind] -%}
    {{ return(ref('retention', 'int_clv_keys').incorporate(path={'identifier': identifier})) }}
{%- endmacro %}


{#
    True when both tables of `retention clv-fit` exist (at run time; false
    while dbt parses). Without them the step models say `not_fitted`. The
    relations are made before the `execute` test, so that dbt records the
    ref to int_clv_keys of every model that calls this macro.
#}
{% macro clv_fit_step_done() -%}
    {%- set relations = [clv_fit_step_relation('params'), clv_fit_step_relation('keys')] -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for relation in relations -%}
        {%- if adapter.get_relation(database=relation.database, schema=relation.schema,
                identifier=relation.identifier) is none -%}
            {%- do log(model.name ~ ": " ~ relation ~ " does not exist, so"
                ~ " clv_model_params says fit_status = not_fitted and"
                ~ " customer_value_predictions has NULL predictions. Fit with"
                ~ " `retention clv-fit --engine " ~ target.type ~ "`, then run"
                ~ " `dbt build -s int_clv_step_fit+ int_clv_step_predictions+`"
                ~ " (docs/predictive_clv.md).", info=true) -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}
