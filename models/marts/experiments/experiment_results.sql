{#
    Each variant of each experiment against the control variant, per
    outcome window and metric (METRICS.md "Experiments"). Rates (conversion,
    repeat, activation) use the pooled two-proportion z-test and the 95%
    Wald interval of the difference; net_revenue_per_customer uses Welch's
    t-test with the normal p-value and its 95% interval. The control row
    carries control_value and no lift, interval or p-value.
#}
with

customer_windows as (
    select * from {{ ref('retention', 'int_experiment_customer_windows') }}
),

variant_windows as (
    select
        experiment_id,
        variant,
        window_days,
        sum(case when is_eligible then 1 else 0 end) as eligible_customers,
        sum(
            case when is_eligible and purchase_days >= 1 then 1 else 0 end
        ) as converted_customers,
        sum(
            case when is_eligible and purchase_days >= 2 then 1 else 0 end
        ) as repeat_customers,
        sum(
            case when is_eligible and is_activated then 1 else 0 end
        ) as activated_customers,
        sum(case when is_eligible then net_revenue else 0 end) as net_revenue,
        var_samp(
            case
                when is_eligible
                    then cast(net_revenue as {{ type_ratio() }})
            end
        ) as net_revenue_variance
    from customer_windows
    group by experiment_id, variant, window_days
),

metrics as (
    select 'conversion' as metric
    union all
    select 'repeat' as metric
    union all
    select 'activation' as metric
    union all
    select 'net_revenue_per_customer' as metric
),

{# One row per variant, window and metric: the variant's totals read once
    and unpivoted by a cross join (Spark computes a CTE once per reader, so
    a union of four reads would aggregate the customer windows four
    times). #}
metric_counts as (
    select
        variant_windows.experiment_id,
        variant_windows.variant,
        variant_windows.window_days,
        metrics.metric,
        variant_windows.eligible_customers,
        cast(
            case metrics.metric
                when 'conversion' then variant_windows.converted_customers
                when 'repeat' then variant_windows.repeat_customers
                when 'activation' then variant_windows.activated_customers
            end as {{ dbt.type_bigint() }}
        ) as successes,
        case
            when metrics.metric = 'net_revenue_per_customer'
                then variant_windows.net_revenue
        end as net_revenue,
        case
            when metrics.metric = 'net_revenue_per_customer'
                then variant_windows.net_revenue_variance
        end as variance
    from variant_windows
    cross join metrics
),

metric_values as (
    select
        experiment_id,
        variant,
        window_days,
        metric,
        eligible_customers,
        successes,
        case
            when metric = 'net_revenue_per_customer'
                then {{ per_customer('net_revenue', 'eligible_customers') }}
            else {{ experiment_rate('successes', 'eligible_customers') }}
        end as value,
        cast(variance as {{ type_ratio() }}) as variance
    from metric_counts
),

{# The control variant's row of the same experiment, window and metric,
    handed to every variant's row by a window (one read, no self-join). #}
against_control as (
    {%- set control = "'" ~ get_experiment_control_variant() ~ "'" %}
    select
        *,
        variant = {{ control }} as is_control,
        {%- for column in ['eligible_customers', 'successes', 'value',
            'variance'] %}
            max(case when variant = {{ control }} then {{ column }} end)
                over (partition by experiment_id, window_days, metric)
                as control_{{ column }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from metric_values
),

differences as (
    select
        *,
        case
            when not is_control
                then {{ absolute_lift('value', 'control_value') }}
        end as absolute_lift,
        case
            when is_control then null
            when metric = 'net_revenue_per_customer'
                then {{ welch_difference_se('variance', 'eligible_customers',
                    'control_variance', 'control_eligible_customers') }}
            else {{ wald_difference_se('successes', 'eligible_customers',
                'control_successes', 'control_eligible_customers') }}
        end as standard_error,
        case
            when not is_control and metric != 'net_revenue_per_customer'
                then {{ two_proportion_z('successes', 'eligible_customers',
                    'control_successes', 'control_eligible_customers') }}
        end as z_statistic
    from against_control
),

final as (
    select
        experiment_id,
        variant,
        cast(window_days as integer) as window_days,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(eligible_customers as {{ dbt.type_bigint() }})
            as eligible_customers,
        cast(value as {{ type_ratio() }}) as value,
        cast(control_value as {{ type_ratio() }}) as control_value,
        cast(absolute_lift as {{ type_ratio() }}) as absolute_lift,
        case
            when not is_control
                then {{ relative_lift('value', 'control_value') }}
        end as relative_lift,
        cast(
            {{ interval_low('absolute_lift', 'standard_error') }}
            as {{ type_ratio() }}
        ) as ci_low,
        cast(
            {{ interval_high('absolute_lift', 'standard_error') }}
            as {{ type_ratio() }}
        ) as ci_high,
        cast(
            case
                when metric = 'net_revenue_per_customer'
                    then {{ difference_p_value(
                        'absolute_lift', 'standard_error') }}
                else {{ normal_two_sided_p_value('z_statistic') }}
            end as {{ type_ratio() }}
        ) as p_value
    from differences
)

select * from final
