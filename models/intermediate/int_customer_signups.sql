{#
    One row per staged customer with a signup date on or before as_of_date
    (a later signup counts as no signup): the signup date and ISO week, and
    the first purchase date and days to it (NULL for a customer who has not
    bought). Customers with orders but no raw.customers row have no signup
    and are not here.
#}
with

customers as (
    select * from {{ ref('retention', 'stg_customers') }}
),

purchase_stats as (
    select * from {{ ref('retention', 'int_customer_purchase_stats') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

signups as (
    select
        customers.customer_id,
        {{ signup_date_as_of('customers.signup_date', 'as_of.as_of_date') }}
            as signup_date
    from customers
    cross join as_of
),

final as (
    select
        signups.customer_id,
        signups.signup_date,
        {{ period_start('signups.signup_date', 'week') }} as signup_week,
        purchase_stats.first_purchase_date,
        {{ days_to_first_purchase('signups.signup_date',
            'purchase_stats.first_purchase_date') }} as days_to_first_purchase
    from signups
    left join purchase_stats
        on signups.customer_id = purchase_stats.customer_id
    where signups.signup_date is not null
)

select * from final
