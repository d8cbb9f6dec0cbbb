{#
    on-run-start hook: validates every var the models read before anything is
    built, including the reporting time zone, which only the database can check.
#}
{% macro validate_vars() -%}
    {%- do get_as_of_date_var() -%}
    {%- do get_cohort_grain() -%}
    {%- do get_churn_window_days() -%}
    {%- do get_purchase_statuses() -%}
    {%- do get_valid_date_window() -%}
    {%- do get_rfm_observation_end_var() -%}
    {%- do get_rfm_time_unit_days() -%}
    {%- do get_activation_window_days() -%}
    {%- do get_activation_event() -%}
    {%- do get_retention_days() -%}
    {%- do get_clv_horizon_months() -%}
    {%- do get_clv_monthly_discount_rate() -%}
    {%- do get_clv_penalizer_coef() -%}
    {%- do get_incremental_lookback_days() -%}
    {%- do get_freshness_after_hours() -%}
    {%- do get_schema_prefix() -%}
    {%- if not var('python_models') or target.type in ('postgres', 'spark') -%}
        {%- do log("clv_model_params and customer_value_predictions are disabled on "
            ~ target.type ~ " (python_models: " ~ var('python_models') ~ "): they read"
            ~ " dbt Python models, which this engine does not run here.", info=true) -%}
    {%- endif -%}
    {%- set tz = get_reporting_timezone() -%}
    {%- if execute -%}
        {%- set check_sql = timezone_exists_sql(tz) -%}
        {%- if check_sql -%}
            {%- set result = run_query(check_sql) -%}
            {%- if result.rows[0][0] == 0 -%}
                {{ _invalid_var('reporting_timezone', tz,
                    "a time zone name the database knows, such as UTC, Europe/Berlin or America/New_York") }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as vars_are_valid
{%- endmacro %}
