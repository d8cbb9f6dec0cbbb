{#
    One row per customer per uninterrupted active stretch (churn_window_days):
    a purchase on p keeps the customer active through p + window - 1, and
    purchases whose gap leaves no inactive day belong to the same spell. Churn
    reads these spells instead of a customer x day grid.
#}
with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

flagged as (
    select
        customer_id,
        purchase_date,
        case
            when {{ starts_new_active_spell('days_since_previous_purchase') }}
                then 1
            else 0
        end as starts_spell
    from purchase_days
),

numbered as (
    select
        customer_id,
        purchase_date,
        sum(starts_spell) over (
            partition by customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as spell_number
    from flagged
),

final as (
    select
        customer_id,
        cast(spell_number as integer) as spell_number,
        min(purchase_date) as spell_start_date,
        max(purchase_date) as last_purchase_date,
        {{ active_through_date('max(purchase_date)') }} as spell_end_date,
        count(*) as purchase_days
    from numbered
    group by customer_id, spell_number
)

select * from final
