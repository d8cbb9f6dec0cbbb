{#
    Monthly churn of the non-contractual kind (METRICS.md "Churn"): who was
    active the day before the month (S), on its last counted day (E), who is
    new, retained, churned or reactivated. Reads active spells, never a
    customer x day grid.
#}
with

spells as (
    select * from {{ ref('retention', 'int_active_spells') }}
),

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

{# customers with a spell touching [day before start, last counted day] #}
customer_months as (
    select
        month_spine.period_start,
        spells.customer_id,
        max(
            case
                when
                    spells.spell_start_date <= month_spine.day_before_start
                    and spells.spell_end_date >= month_spine.day_before_start
                    then 1
                else 0
            end
        ) as was_active_at_start,
        max(
            case
                when
                    spells.spell_start_date <= month_spine.period_end
                    and spells.spell_end_date >= month_spine.period_end
                    then 1
                else 0
            end
        ) as is_active_at_end
    from month_spine
    inner join spells
        on
            month_spine.period_end >= spells.spell_start_date
            and month_spine.day_before_start <= spells.spell_end_date
    group by month_spine.period_start, spells.customer_id
),

classified as (
    select
        customer_months.period_start,
        customer_months.was_active_at_start,
        customer_months.is_active_at_end,
        case
            when customers.first_purchase_date >= customer_months.period_start
                then 1
            else 0
        end as is_new
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
),

state_counts as (
    select
        period_start,
        sum(was_active_at_start) as customers_start,
        sum(is_active_at_end) as customers_end,
        sum(is_new * is_active_at_end) as new_customers_active_end,
        sum(was_active_at_start * is_active_at_end) as retained_customers,
        sum(was_active_at_start * (1 - is_active_at_end))
            as churned_customers,
        sum((1 - was_active_at_start) * (1 - is_new) * is_active_at_end)
            as reactivated_customers
    from classified
    group by period_start
),

new_counts as (
    select
        month_spine.period_start,
        count(*) as new_customers
    from month_spine
    inner join customers
        on
            month_spine.period_start <= customers.first_purchase_date
            and month_spine.period_end >= customers.first_purchase_date
    group by month_spine.period_start
),

joined as (
    select
        month_spine.period_start,
        month_spine.period_end,
        month_spine.is_complete_period,
        coalesce(state_counts.customers_start, 0) as customers_start,
        coalesce(state_counts.customers_end, 0) as customers_end,
        coalesce(new_counts.new_customers, 0) as new_customers,
        coalesce(state_counts.new_customers_active_end, 0)
            as new_customers_active_end,
        coalesce(state_counts.retained_customers, 0) as retained_customers,
        coalesce(state_counts.churned_customers, 0) as churned_customers,
        coalesce(state_counts.reactivated_customers, 0)
            as reactivated_customers
    from month_spine
    left join state_counts
        on month_spine.period_start = state_counts.period_start
    left join new_counts
        on month_spine.period_start = new_counts.period_start
),

final as (
    select
        period_start,
        period_end,
        cast(customers_start as {{ dbt.type_bigint() }}) as customers_start,
        cast(customers_end as {{ dbt.type_bigint() }}) as customers_end,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(new_customers_active_end as {{ dbt.type_bigint() }})
            as new_customers_active_end,
        cast(retained_customers as {{ dbt.type_bigint() }})
            as retained_customers,
        cast(churned_customers as {{ dbt.type_bigint() }})
            as churned_customers,
        cast(reactivated_customers as {{ dbt.type_bigint() }})
            as reactivated_customers,
        {{ churn_rate('churned_customers', 'customers_start') }}
            as churn_rate,
        {{ period_retention_rate('retained_customers', 'customers_start') }}
            as retention_rate,
        {{ customer_retention_rate('customers_end',
            'new_customers_active_end', 'customers_start') }} as crr,
        is_complete_period
    from joined
)

select * from final
