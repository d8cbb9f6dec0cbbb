{#
    Monthly retention KPIs: activity, AOV, purchase frequency, repeat
    behaviour, revenue retention (NRR / GRR over 12 months) and formula CLTV.
    The month spine and churn rates come from the churn mart.
#}
{%- set trailing_12 -%}
    order by month_start rows between 11 preceding and current row
{%- endset %}

with

churn as (
    select * from {{ ref('retention', 'churn') }}
),

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),

purchase_stats as (
    select * from {{ ref('retention', 'int_customer_purchase_stats') }}
),

months as (
    select
        period_start as month_start,
        period_end as month_end,
        is_complete_period,
        churn_rate,
        min(period_start) over () as first_month
    from churn
),

{# one row per customer and month with purchases: the grain of every
    count below, so no count(distinct) over purchases is needed #}
customer_months as (
    select
        customer_id,
        {{ period_start('order_date', 'month') }} as month_start,
        count(*) as purchases,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin
    from purchases
    group by customer_id, {{ period_start('order_date', 'month') }}
),

customer_month_facts as (
    select
        customer_months.*,
        purchase_stats.first_purchase_date
        < customer_months.month_start as is_returning
    from customer_months
    inner join purchase_stats
        on customer_months.customer_id = purchase_stats.customer_id
),

monthly_activity as (
    select
        month_start,
        sum(purchases) as purchases,
        count(*) as active_customers,
        sum(case when is_returning then 1 else 0 end) as returning_customers,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(case when is_returning then net_revenue else 0 end)
            as returning_revenue
    from customer_month_facts
    group by month_start
),

firsts_by_month as (
    select
        {{ period_start('first_purchase_date', 'month') }} as month_start,
        count(*) as new_customers,
        sum(
            case
                when
                    {{ days_between('first_purchase_date',
                        'second_purchase_date') }} <= 180
                    then 1
                else 0
            end
        ) as repeaters_180d
    from purchase_stats
    group by {{ period_start('first_purchase_date', 'month') }}
),

seconds_by_month as (
    select
        {{ period_start('second_purchase_date', 'month') }} as month_start,
        count(*) as second_purchases
    from purchase_stats
    where second_purchase_date is not null
    group by {{ period_start('second_purchase_date', 'month') }}
),

{#
    NRR / GRR over 12 months, as a sweep (linear in customer-months, no
    customer x month join). For month m a customer's base revenue is the
    sum over months m-23..m-12 and current revenue over m-11..m. A month k
    with revenue r enters current at k, moves to base at k+12 and leaves at
    k+24: running sums of these changes give every customer's base and
    current revenue from each change month until the next one. The three
    changes of a customer-month are one row each of a join with
    revenue_change_kinds, so customer_months is read once.
#}
revenue_change_kinds as (
    select 0 as change_kind
    union all
    select 1 as change_kind
    union all
    select 2 as change_kind
),

revenue_changes as (
    select
        customer_months.customer_id,
        case revenue_change_kinds.change_kind
            when 0 then customer_months.month_start
            when 1
                then {{ add_periods('customer_months.month_start', 12,
                    'month') }}
            else {{ add_periods('customer_months.month_start', 24,
                'month') }}
        end as change_month,
        revenue_change_kinds.change_kind,
        case revenue_change_kinds.change_kind
            when 0 then customer_months.net_revenue
            when 1 then -customer_months.net_revenue
            else 0
        end as current_change,
        case revenue_change_kinds.change_kind
            when 0 then 0
            when 1 then customer_months.net_revenue
            else -customer_months.net_revenue
        end as base_change
    from customer_months
    cross join revenue_change_kinds
),

{#
    a customer's windows from change_month up to (excluding)
    next_change_month. Several changes of one month (a month's revenue
    entering current while an older one moves to base) are ordered by
    change_kind (each kind occurs once per customer and month): the earlier
    ones hold for no month (next_change_month is the same month, so their
    changes below cancel exactly) and the last one carries the month's
    state. No group by customer and month is needed first.
#}
customer_revenue_states as (
    select
        customer_id,
        change_month,
        lead(change_month) over (
            partition by customer_id order by change_month, change_kind
        ) as next_change_month,
        sum(current_change) over (
            partition by customer_id
            order by change_month, change_kind
            rows between unbounded preceding and current row
        ) as current_revenue,
        sum(base_change) over (
            partition by customer_id
            order by change_month, change_kind
            rows between unbounded preceding and current row
        ) as base_revenue
    from revenue_changes
),

{#
    the customers with base revenue, as changes of the sums per month: a
    state enters the sums at its change_month (edge 1) and leaves them at
    its next_change_month (edge -1), both read from one pass over the states
#}
state_edges as (
    select 1 as edge
    union all
    select -1 as edge
),

retention_changes as (
    select
        case
            when state_edges.edge = 1
                then customer_revenue_states.change_month
            else customer_revenue_states.next_change_month
        end as change_month,
        state_edges.edge as customers_change,
        case
            when state_edges.edge = 1
                then customer_revenue_states.base_revenue
            else -customer_revenue_states.base_revenue
        end as base_change,
        case
            when state_edges.edge = 1
                then customer_revenue_states.current_revenue
            else -customer_revenue_states.current_revenue
        end as current_change,
        case
            when
                customer_revenue_states.current_revenue
                < customer_revenue_states.base_revenue
                and state_edges.edge = 1
                then customer_revenue_states.current_revenue
            when
                customer_revenue_states.current_revenue
                < customer_revenue_states.base_revenue
                then -customer_revenue_states.current_revenue
            when state_edges.edge = 1
                then customer_revenue_states.base_revenue
            else -customer_revenue_states.base_revenue
        end as capped_current_change
    from customer_revenue_states
    cross join state_edges
    where
        customer_revenue_states.base_revenue > 0
        and (
            state_edges.edge = 1
            or customer_revenue_states.next_change_month is not null
        )
    union all
    select
        month_start as change_month,
        0 as customers_change,
        0 as base_change,
        0 as current_change,
        0 as capped_current_change
    from months
),

retention_month_changes as (
    select
        change_month,
        sum(customers_change) as customers_change,
        sum(base_change) as base_change,
        sum(current_change) as current_change,
        sum(capped_current_change) as capped_current_change
    from retention_changes
    group by change_month
),

retention_running_totals as (
    select
        change_month,
        sum(customers_change) over (
            order by change_month
            rows between unbounded preceding and current row
        ) as customers_with_base,
        sum(base_change) over (
            order by change_month
            rows between unbounded preceding and current row
        ) as base_revenue,
        sum(current_change) over (
            order by change_month
            rows between unbounded preceding and current row
        ) as current_revenue,
        sum(capped_current_change) over (
            order by change_month
            rows between unbounded preceding and current row
        ) as capped_current_revenue
    from retention_month_changes
),

{# only months with 24 months of history and a customer with base revenue #}
revenue_retention as (
    select
        months.month_start,
        retention_running_totals.base_revenue,
        retention_running_totals.current_revenue,
        retention_running_totals.capped_current_revenue
    from months
    inner join retention_running_totals
        on months.month_start = retention_running_totals.change_month
    where
        {{ add_periods('months.month_start', -23, 'month') }}
        >= months.first_month
        and retention_running_totals.customers_with_base > 0
),

joined as (
    select
        months.month_start,
        months.month_end,
        months.is_complete_period,
        months.churn_rate,
        coalesce(monthly_activity.active_customers, 0) as active_customers,
        coalesce(firsts_by_month.new_customers, 0) as new_customers,
        coalesce(monthly_activity.returning_customers, 0)
            as returning_customers,
        coalesce(monthly_activity.purchases, 0) as purchases,
        coalesce(monthly_activity.net_revenue, 0) as net_revenue,
        coalesce(monthly_activity.gross_margin, 0) as gross_margin,
        coalesce(monthly_activity.returning_revenue, 0) as returning_revenue,
        coalesce(firsts_by_month.repeaters_180d, 0) as repeaters_180d,
        sum(coalesce(firsts_by_month.new_customers, 0)) over (
            order by months.month_start
            rows between unbounded preceding and current row
        ) as buyers_to_date,
        sum(coalesce(seconds_by_month.second_purchases, 0)) over (
            order by months.month_start
            rows between unbounded preceding and current row
        ) as repeat_buyers_to_date,
        revenue_retention.base_revenue,
        revenue_retention.current_revenue,
        revenue_retention.capped_current_revenue,
        {{ add_days(period_end('months.month_start', 'month'), 180) }}
        <= {{ as_of_date() }} as has_180_days_after
    from months
    left join monthly_activity
        on months.month_start = monthly_activity.month_start
    left join firsts_by_month
        on months.month_start = firsts_by_month.month_start
    left join seconds_by_month
        on months.month_start = seconds_by_month.month_start
    left join revenue_retention
        on months.month_start = revenue_retention.month_start
),

cltv_inputs as (
    select
        *,
        {{ per_customer('gross_margin', 'active_customers') }}
            as margin_per_active_customer
    from joined
),

trailing_windows as (
    select
        *,
        avg(margin_per_active_customer) over ({{ trailing_12 }})
            as avg_margin_per_active_customer,
        avg(churn_rate) over ({{ trailing_12 }}) as avg_churn_rate,
        count(margin_per_active_customer) over ({{ trailing_12 }})
            as months_with_margin,
        count(churn_rate) over ({{ trailing_12 }}) as months_with_churn,
        sum(case when is_complete_period then 1 else 0 end)
            over ({{ trailing_12 }}) as complete_months
    from cltv_inputs
),

final as (
    select
        month_start,
        cast(active_customers as {{ dbt.type_bigint() }}) as active_customers,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(returning_customers as {{ dbt.type_bigint() }})
            as returning_customers,
        cast(purchases as {{ dbt.type_bigint() }}) as purchases,
        cast(net_revenue as {{ type_money() }}) as net_revenue,
        {{ aov('net_revenue', 'purchases') }} as aov,
        {{ purchase_frequency('purchases', 'active_customers') }}
            as purchase_frequency,
        {{ repeat_purchase_rate('repeat_buyers_to_date', 'buyers_to_date') }}
            as repeat_purchase_rate,
        {{ returning_revenue_share('returning_revenue', 'net_revenue') }}
            as returning_revenue_share,
        case
            when has_180_days_after
                then {{ repeat_rate_180d('repeaters_180d', 'new_customers') }}
        end as repeat_rate_180d,
        {{ net_revenue_retention('current_revenue', 'base_revenue') }}
            as nrr_12m,
        {{ gross_revenue_retention('capped_current_revenue',
            'base_revenue') }} as grr_12m,
        case
            when
                is_complete_period
                and complete_months = 12
                and months_with_churn = 12
                and months_with_margin = 12
                then {{ formula_cltv('avg_margin_per_active_customer',
                    'avg_churn_rate') }}
        end as formula_cltv,
        is_complete_period,
        {# Numerators and denominators of the rates above, for the semantic
           layer's ratio metrics (ratios of sums). #}
        cast(buyers_to_date as {{ dbt.type_bigint() }}) as buyers_to_date,
        cast(repeat_buyers_to_date as {{ dbt.type_bigint() }})
            as repeat_buyers_to_date,
        cast(base_revenue as {{ type_money() }}) as nrr_base_revenue_12m,
        cast(current_revenue as {{ type_money() }})
            as nrr_current_revenue_12m
    from trailing_windows
)

select * from final
