{#
    One row per customer with at least one purchase: first and last purchase
    dates, cohort period (cohort_grain), acquisition channel and the
    customer_passthrough_columns (under their aliases).
#}
with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

customers as (
    select * from {{ ref('retention', 'stg_customers') }}
),

first_and_last as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) as purchase_days
    from purchase_days
    group by customer_id
),

final as (
    select
        first_and_last.customer_id,
        coalesce(customers.acquisition_channel, 'unknown')
            as acquisition_channel,
        customers.country_code,
        customers.acquisition_campaign,
        customers.customer_id is not null as is_known_customer,
        first_and_last.first_purchase_date,
        first_and_last.last_purchase_date,
        first_and_last.purchase_days,
        {{ period_start('first_and_last.first_purchase_date',
            get_cohort_grain()) }} as cohort_period{{ passthrough_aliases(
            get_passthrough_columns().customer, 'customers') }}
    from first_and_last
    left join customers
        on first_and_last.customer_id = customers.customer_id
)

select * from final
