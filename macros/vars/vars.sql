{#
    Readers of the project vars. Every model reads a var through one of these
    macros, so an invalid value stops the build (at parse time) with a message
    that names the var and the values it accepts.
#}

{% macro _invalid_var(name, value, allowed) -%}
    {{ exceptions.raise_compiler_error(
        "Invalid value for var '" ~ name ~ "': " ~ (value | string)
        ~ ". Allowed values: " ~ allowed ~ "."
    ) }}
{%- endmacro %}


{% macro _parse_date_var(name, value) -%}
    {#- Returns the date as 'YYYY-MM-DD', or none when the var is unset. -#}
    {%- if value is none or (value | string | trim) in ('', 'None', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set parsed = none -%}
    {%- if text | length == 10 -%}
        {%- set parsed = modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
    {%- endif -%}
    {%- if not parsed -%}
        {{ _invalid_var(name, value, "a date written YYYY-MM-DD, or null") }}
    {%- endif -%}
    {%- set ns = namespace(ok=true) -%}
    {%- set y, m, d = text.split('-') | map('int') -%}
    {%- if m < 1 or m > 12 or d < 1 or d > 31 -%}
        {%- set ns.ok = false -%}
    {%- else -%}
        {%- set last_day = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] -%}
        {%- if d > last_day -%}{%- set ns.ok = false -%}{%- endif -%}
    {%- endif -%}
    {%- if not ns.ok -%}
        {{ _invalid_var(name, value, "a real calendar date written YYYY-MM-DD, or null") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}


{% macro _positive_int_var(name) -%}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean or not modules.re.match('^[0-9]+$', text)
        or (text | int) < 1 -%}
        {{ _invalid_var(name, value, "a whole number of days >= 1") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}


{#
    Days before the latest timestamp already built that every incremental run
    re-processes (docs/incremental.md); 0 = only the latest day.
#}
{% macro get_incremental_lookback_days() -%}
    {{ return(_non_negative_int_var('incremental_lookback_days')) }}
{%- endmacro %}


{% macro get_as_of_date_var() -%}
    {{ return(_parse_date_var('as_of_date', var('as_of_date', none))) }}
{%- endmacro %}


{% macro get_cohort_grain() -%}
    {%- set grain = var('cohort_grain') | string | trim | lower -%}
    {%- if grain not in ('week', 'month', 'quarter') -%}
        {{ _invalid_var('cohort_grain', var('cohort_grain'), "week, month, quarter") }}
    {%- endif -%}
    {{ return(grain) }}
{%- endmacro %}


{% macro get_churn_window_days() -%}
    {{ return(_positive_int_var('churn_window_days')) }}
{%- endmacro %}


{#
    Grains of churn_by_grain: a non-empty list of distinct names among day,
    week (ISO, Monday), month, quarter, half_year and year. Returned in that
    order, whatever order the var lists them in.
#}
{% macro churn_grain_names() -%}
    {{ return(['day', 'week', 'month', 'quarter', 'half_year', 'year']) }}
{%- endmacro %}


{% macro get_churn_grains() -%}
    {%- set grains = var('churn_grains') -%}
    {%- set known = churn_grain_names() -%}
    {%- set allowed = "a non-empty list of distinct grains among " ~ known | join(', ') -%}
    {%- if grains is string -%}
        {%- set grains = [grains] -%}
    {%- endif -%}
    {%- if grains is mapping or grains is not iterable -%}
        {{ _invalid_var('churn_grains', var('churn_grains'), allowed) }}
    {%- endif -%}
    {%- set ns = namespace(clean=[]) -%}
    {%- for grain in grains -%}
        {%- set text = grain | string | trim | lower -%}
        {%- if text not in known or text in ns.clean -%}
            {{ _invalid_var('churn_grains', var('churn_grains'), allowed) }}
        {%- endif -%}
        {%- set ns.clean = ns.clean + [text] -%}
    {%- endfor -%}
    {%- if ns.clean | length == 0 -%}
        {{ _invalid_var('churn_grains', var('churn_grains'), allowed) }}
    {%- endif -%}
    {{ return(known | select('in', ns.clean) | list) }}
{%- endmacro %}


{# Days after an NPS response in which nps_retention looks for a purchase. #}
{% macro get_nps_repurchase_window_days() -%}
    {{ return(_positive_int_var('nps_repurchase_window_days')) }}
{%- endmacro %}


{% macro get_reporting_timezone() -%}
    {%- set tz = var('reporting_timezone') | string | trim -%}
    {%- if tz == '' or tz == 'None'
        or not modules.re.match('^[A-Za-z0-9_+/-]+$', tz) -%}
        {{ _invalid_var('reporting_timezone', var('reporting_timezone'),
            "an IANA time zone name such as UTC, Europe/Berlin or America/New_York") }}
    {%- endif -%}
    {{ return(tz) }}
{%- endmacro %}


{% macro get_purchase_statuses() -%}
    {%- set statuses = var('purchase_statuses') -%}
    {%- if statuses is string -%}
        {%- set statuses = [statuses] -%}
    {%- endif -%}
    {%- set ns = namespace(clean=[]) -%}
    {%- if statuses is not iterable or statuses is mapping -%}
        {{ _invalid_var('purchase_statuses', statuses, "a non-empty list of order statuses, e.g. ['completed']") }}
    {%- endif -%}
    {%- for status in statuses -%}
        {%- set text = status | string | trim | lower -%}
        {%- if not modules.re.match('^[a-z0-9_ -]+$', text) -%}
            {{ _invalid_var('purchase_statuses', statuses, "a non-empty list of order statuses made of letters, digits, '_', '-' or spaces") }}
        {%- endif -%}
        {%- set ns.clean = ns.clean + [text] -%}
    {%- endfor -%}
    {%- if ns.clean | length == 0 -%}
        {{ _invalid_var('purchase_statuses', statuses, "a non-empty list of order statuses, e.g. ['completed']") }}
    {%- endif -%}
    {{ return(ns.clean) }}
{%- endmacro %}


{% macro get_valid_date_window() -%}
    {%- set low = _parse_date_var('min_valid_date', var('min_valid_date')) -%}
    {%- set high = _parse_date_var('max_valid_date', var('max_valid_date')) -%}
    {%- if low is none or high is none or low >= high -%}
        {{ _invalid_var('min_valid_date/max_valid_date',
            (var('min_valid_date') | string) ~ ' / ' ~ (var('max_valid_date') | string),
            "two dates YYYY-MM-DD with min_valid_date < max_valid_date") }}
    {%- endif -%}
    {{ return([low, high]) }}
{%- endmacro %}


{% macro _non_negative_int_var(name) -%}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean or not modules.re.match('^[0-9]+$', text) -%}
        {{ _invalid_var(name, value, "a whole number of days >= 0") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}


{% macro get_rfm_observation_end_var() -%}
    {{ return(_parse_date_var('rfm_observation_end', var('rfm_observation_end', none))) }}
{%- endmacro %}


{% macro get_rfm_time_unit_days() -%}
    {{ return(_positive_int_var('rfm_time_unit_days')) }}
{%- endmacro %}


{% macro get_activation_window_days() -%}
    {{ return(_non_negative_int_var('activation_window_days')) }}
{%- endmacro %}


{#
    End of the outcome window of activation_drivers (days after signup): a
    whole number of days greater than activation_window_days, so that the
    outcome window (activation_window_days + 1 .. driver_outcome_days) is not
    empty and never overlaps the early window.
#}
{% macro get_driver_outcome_days() -%}
    {%- set days = _positive_int_var('driver_outcome_days') -%}
    {%- if days <= get_activation_window_days() -%}
        {{ _invalid_var('driver_outcome_days', var('driver_outcome_days'),
            "a whole number of days greater than activation_window_days ("
            ~ get_activation_window_days() ~ ")") }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{% macro get_activation_event() -%}
    {%- set name = var('activation_event') | string | trim | lower -%}
    {%- if not modules.re.match('^[a-z0-9_.:-]+$', name) -%}
        {{ _invalid_var('activation_event', var('activation_event'),
            "an event name made of letters, digits, '_', '.', ':' or '-' (e.g. add_to_cart)") }}
    {%- endif -%}
    {{ return(name) }}
{%- endmacro %}


{% macro get_retention_days() -%}
    {%- set days = var('retention_days') -%}
    {%- set allowed = "a non-empty list of distinct whole numbers of days >= 0, e.g. [1, 7, 30]" -%}
    {%- if days is string or days is mapping or days is not iterable -%}
        {{ _invalid_var('retention_days', days, allowed) }}
    {%- endif -%}
    {%- set ns = namespace(clean=[]) -%}
    {%- for day in days -%}
        {%- set text = day | string | trim -%}
        {%- if day is boolean or not modules.re.match('^[0-9]+$', text)
            or (text | int) in ns.clean -%}
            {{ _invalid_var('retention_days', days, allowed) }}
        {%- endif -%}
        {%- set ns.clean = ns.clean + [text | int] -%}
    {%- endfor -%}
    {%- if ns.clean | length == 0 -%}
        {{ _invalid_var('retention_days', days, allowed) }}
    {%- endif -%}
    {{ return(ns.clean | sort) }}
{%- endmacro %}


{#
    Outcome windows of experiment_results (METRICS.md "Experiments"):
    distinct whole numbers of days >= 0, sorted.
#}
{% macro get_experiment_windows_days() -%}
    {%- set days = var('experiment_windows_days') -%}
    {%- set allowed = "a non-empty list of distinct whole numbers of days >= 0, e.g. [7, 30, 90]" -%}
    {%- if days is string or days is mapping or days is not iterable -%}
        {{ _invalid_var('experiment_windows_days', days, allowed) }}
    {%- endif -%}
    {%- set ns = namespace(clean=[]) -%}
    {%- for day in days -%}
        {%- set text = day | string | trim -%}
        {%- if day is boolean or not modules.re.match('^[0-9]+$', text)
            or (text | int) in ns.clean -%}
            {{ _invalid_var('experiment_windows_days', days, allowed) }}
        {%- endif -%}
        {%- set ns.clean = ns.clean + [text | int] -%}
    {%- endfor -%}
    {%- if ns.clean | length == 0 -%}
        {{ _invalid_var('experiment_windows_days', days, allowed) }}
    {%- endif -%}
    {{ return(ns.clean | sort) }}
{%- endmacro %}


{#
    The variant lifts are measured against, normalized like the staged
    variants (lower-cased, trimmed), so ' Control ' names `control`.
#}
{% macro get_experiment_control_variant() -%}
    {%- set value = var('experiment_control_variant') -%}
    {%- set name = value | string | trim | lower -%}
    {%- if value is none or value is boolean or name == ''
        or "'" in name or '\\' in name -%}
        {{ _invalid_var('experiment_control_variant', value,
            "a variant name (text, compared lower-cased and trimmed), e.g. control") }}
    {%- endif -%}
    {{ return(name) }}
{%- endmacro %}


{#
    Vars of the predictive CLV models (models/intermediate/clv,
    models/marts/predictive). dbt Python models cannot read vars, so
    int_clv_settings writes the validated values into a table they read.
#}
{% macro _number_var(name, allowed, max_exclusive=none) -%}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean
        or not modules.re.match('^[0-9]+(\\.[0-9]+)?$', text) -%}
        {{ _invalid_var(name, value, allowed) }}
    {%- endif -%}
    {%- if max_exclusive is not none and (text | float) >= max_exclusive -%}
        {{ _invalid_var(name, value, allowed) }}
    {%- endif -%}
    {{ return(text | float) }}
{%- endmacro %}


{% macro get_clv_horizon_months() -%}
    {%- set value = var('clv_horizon_months') -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean or not modules.re.match('^[0-9]+$', text)
        or (text | int) < 1 -%}
        {{ _invalid_var('clv_horizon_months', value, "a whole number of months >= 1") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}


{% macro get_clv_monthly_discount_rate() -%}
    {{ return(_number_var('clv_monthly_discount_rate',
        "a monthly discount rate as a fraction, 0 <= rate < 1 (e.g. 0.01)", 1.0)) }}
{%- endmacro %}


{% macro get_clv_penalizer_coef() -%}
    {{ return(_number_var('clv_penalizer_coef',
        "a number >= 0 (the L2 penalizer of the lifetimes fitters; 0 = none)")) }}
{%- endmacro %}


{#
    Time units (rfm_time_unit_days) per month, as lifetimes'
    customer_lifetime_value counts them: 4.345 weeks (freq 'W'), else
    30 days per month (freq 'D' = 30, 'M' = 1 for 30-day units).
#}
{% macro get_clv_time_units_per_month() -%}
    {%- set unit = get_rfm_time_unit_days() -%}
    {{ return(4.345 if unit == 7 else 30.0 / unit) }}
{%- endmacro %}


{#
    Thresholds of `dbt source freshness` (models/staging/_sources.yml reads
    the vars directly; this validates them in the on-run-start hook): whole
    hours >= 1, warn <= error. Returns [warn, error].
#}
{% macro get_freshness_after_hours() -%}
    {%- set ns = namespace(hours=[]) -%}
    {%- for name in ['freshness_warn_after_hours', 'freshness_error_after_hours'] -%}
        {%- set value = var(name) -%}
        {%- set text = value | string | trim -%}
        {%- if value is boolean or not modules.re.match('^[0-9]+$', text)
            or (text | int) < 1 -%}
            {{ _invalid_var(name, value, "a whole number of hours >= 1") }}
        {%- endif -%}
        {%- set ns.hours = ns.hours + [text | int] -%}
    {%- endfor -%}
    {%- if ns.hours[0] > ns.hours[1] -%}
        {{ _invalid_var('freshness_warn_after_hours', ns.hours[0],
            "a whole number of hours >= 1 and <= freshness_error_after_hours ("
            ~ ns.hours[1] ~ ")") }}
    {%- endif -%}
    {{ return(ns.hours) }}
{%- endmacro %}


{#
    Package mode only: the prefix of the package's custom schemas
    (macros/generate_schema_name.sql). Lowercase letters, digits and
    underscores, so that every engine takes the schema name unquoted; ''
    gives the bare names.
#}
{% macro get_schema_prefix() -%}
    {%- set value = var('retention_schema_prefix', 'retention_') -%}
    {%- set text = '' if value is none else value | string -%}
    {%- if value is boolean or not modules.re.match('^[a-z0-9_]*$', text) -%}
        {{ _invalid_var('retention_schema_prefix', value,
            "lowercase letters, digits and underscores (e.g. retention_),"
            ~ " or '' for the bare schema names") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}
