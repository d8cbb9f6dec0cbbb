{#
    on-run-start hook: validates every var the models read before anything is
    built, including the reporting time zone, which only the database can check.
#}
{% macro validate_vars() -%}
    {%- do get_as_of_date_var() -%}
    {%- do get_cohort_grain() -%}
    {%- do get_churn_window_days() -%}
    {%- do get_churn_grains() -%}
    {%- do get_nps_repurchase_window_days() -%}
    {%- do get_purchase_statuses() -%}
    {%- do get_valid_date_window() -%}
    {%- do get_rfm_observation_end_var() -%}
    {%- do get_rfm_time_unit_days() -%}
    {%- do get_activation_window_days() -%}
    {%- do get_activation_event() -%}
    {%- do get_driver_outcome_days() -%}
    {%- do get_retention_days() -%}
    {%- do get_experiment_windows_days() -%}
    {%- do get_experiment_control_variant() -%}
    {%- do get_clv_horizon_months() -%}
    {%- do get_clv_monthly_discount_rate() -%}
    {%- do get_clv_penalizer_coef() -%}
    {%- do get_incremental_lookback_days() -%}
    {%- do get_freshness_after_hours() -%}
    {%- do get_schema_prefix() -%}
    {%- do get_stores() -%}
    {%- do get_passthrough_columns() -%}
    {%- do get_segment_dimensions() -%}
    {%- do get_segment_max_values() -%}
    {%- for table in raw_table_names() -%}
        {%- do get_raw_identifier(table) -%}
    {%- endfor -%}
    {%- if not using_raw_table('events') -%}
        {%- do log("using_events is false: stg_events, stg_events__triaged,"
            ~ " stg_events__quarantine, int_customer_event_days,"
            ~ " int_customer_early_events, int_nps_responses,"
            ~ " int_nps_month_spine, activity_retention, nps and nps_retention are"
            ~ " disabled; customers.latest_nps_* are NULL, activation_drivers has"
            ~ " only its first_purchase row and as_of_date comes from orders alone.",
            info=true) -%}
    {%- endif -%}
    {%- if not using_raw_table('marketing_spend') -%}
        {%- do log("using_marketing_spend is false: stg_marketing_spend,"
            ~ " stg_marketing_spend__triaged and stg_marketing_spend__quarantine"
            ~ " are disabled; channel_economics reads no spend (every CAC is NULL).",
            info=true) -%}
    {%- endif -%}
    {%- if not using_raw_table('experiment_assignments') -%}
        {%- do log("using_experiment_assignments is false:"
            ~ " stg_experiment_assignments, stg_experiment_assignments__triaged,"
            ~ " stg_experiment_assignments__quarantine, int_experiment_assignments,"
            ~ " int_experiment_customer_windows, experiment_results and"
            ~ " experiment_health are disabled.", info=true) -%}
    {%- endif -%}
    {%- if not predictive_models_enabled() -%}
        {%- do log("clv_model_params and customer_value_predictions are disabled"
            ~ " (python_models: " ~ var('python_models') ~ ").", info=true) -%}
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


{#
    on-run-start, with validate_vars: in a run that reads the raw tables
    (build, run, test of a staging model, its unit tests or the staging
    reconciliation), every raw table in use must exist in every store;
    otherwise the run stops before anything is built with a message naming
    the table and the vars that place it or switch it off (unit tests would
    otherwise fail first, on dbt's own "relation doesn't exist").
#}
{% macro require_raw_tables() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'retry') -%}
        {%- set ns = namespace(reads_raw=false) -%}
        {%- for unique_id in selected_resources -%}
            {%- set parts = unique_id.split('.') -%}
            {%- if parts | length > 2 and parts[1] == 'retention'
                and (parts[2].startswith('stg_')
                    or parts[2] == 'reconcile_staging_row_counts') -%}
                {%- set ns.reads_raw = true -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if ns.reads_raw -%}
            {%- for table in used_raw_tables() -%}
                {%- for store in get_stores() -%}
                    {%- do _require_raw_relation(table, store, raw_location(table, store)) -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as raw_tables_exist
{%- endmacro %}
