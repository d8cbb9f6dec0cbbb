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

metric_values as (
    {% for metric, successes in [
        ('conversion', 'converted_customers'),
        ('repeat', 'repeat_customers'),
        ('activation', 'activated_customers'),
    ] -%}
        select
            experiment_id,
            variant,
            window_days,
            '{{ metric }}' as metric,
            eligible_customers,
            cast({{ successes }} as {{ dbt.type_bigint() }}) as successes,
            {{ experiment_rate(successes, 'eligible_customers') }} as value,
            cast(null as {{ type_ratio() }}) as variance
        from variant_windows
        union all
    {% endfor -%}
    select
        experiment_id,
        variant,
        window_days,
        'net_revenue_per_customer' as metric,
        eligible_customers,
        cast(null as {{ dbt.type_bigint() }}) as successes,
        {{ per_customer('net_revenue', 'eligible_customers') }} as value,
        net_revenue_variance as variance
    from variant_windows
),

against_control as (
    select
        metric_values.*,
        metric_values.variant
        = '{{ get_experiment_control_variant() }}' as is_control,
        control.eligible_customers as control_eligible_customers,
        control.successes as control_successes,
        control.value as control_value,
        control.variance as control_variance
    from metric_values
    left join metric_values as control
        on
            metric_values.experiment_id = control.experiment_id
            and metric_values.window_days = control.window_days
            and metric_values.metric = control.metric
            and control.variant = '{{ get_experiment_control_variant() }}'
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
