{#
    Product (event) retention by signup week: day-N retention "on" (active
    exactly on signup date + N) and "on or after" (active on any day from
    signup date + N to as_of_date), over the customers eligible for day N,
    plus activation within activation_window_days of signup.
#}
with

customers as (
    select * from {{ ref('retention', 'stg_customers') }}
),

{# read twice (activity_span, flagged): scanned twice rather than
    materialized, cheaper for a table of every active customer-day #}
event_days as {{ inline_cte() }} (
    select * from {{ ref('retention', 'int_customer_event_days') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

day_numbers as (
    {% for day_n in get_retention_days() -%}
        select {{ day_n }} as day_n
        {% if not loop.last %}union all{% endif %}
    {% endfor -%}
),

signups as (
    select
        customers.customer_id,
        customers.signup_date,
        {{ period_start('customers.signup_date', 'week') }} as signup_week,
        as_of.as_of_date
    from customers
    cross join as_of
    where
        customers.signup_date is not null
        and customers.signup_date <= as_of.as_of_date
),

activity_span as (
    select
        customer_id,
        max(event_date) as last_event_date,
        min(
            case when activation_events > 0 then event_date end
        ) as first_activation_date
    from event_days
    group by customer_id
),

customer_days as (
    select
        signups.customer_id,
        signups.signup_week,
        day_numbers.day_n,
        {{ day_n_is_eligible('signups.signup_date', 'day_numbers.day_n',
            'signups.as_of_date') }} as is_eligible,
        {{ add_days('signups.signup_date', 'day_numbers.day_n') }}
            as day_n_date,
        activity_span.last_event_date,
        coalesce(
            {{ days_between('signups.signup_date',
                'activity_span.first_activation_date') }}
            between 0 and {{ get_activation_window_days() }},
            false
        ) as is_activated
    from signups
    cross join day_numbers
    left join activity_span
        on signups.customer_id = activity_span.customer_id
),

flagged as (
    select
        customer_days.signup_week,
        customer_days.day_n,
        customer_days.is_activated,
        customer_days.is_eligible,
        customer_days.is_eligible
        and event_days.customer_id is not null as is_retained_on,
        customer_days.is_eligible
        and customer_days.last_event_date >= customer_days.day_n_date
            as is_retained_on_or_after
    from customer_days
    left join event_days
        on
            customer_days.customer_id = event_days.customer_id
            and customer_days.day_n_date = event_days.event_date
),

counted as (
    select
        signup_week,
        day_n,
        count(*) as cohort_size,
        sum(case when is_eligible then 1 else 0 end) as eligible_customers,
        sum(case when is_retained_on then 1 else 0 end) as retained_on,
        sum(case when is_retained_on_or_after then 1 else 0 end)
            as retained_on_or_after,
        sum(case when is_activated then 1 else 0 end) as activated_customers
    from flagged
    group by signup_week, day_n
),

final as (
    select
        signup_week,
        cast(day_n as integer) as day_n,
        cast(cohort_size as {{ dbt.type_bigint() }}) as cohort_size,
        cast(eligible_customers as {{ dbt.type_bigint() }})
            as eligible_customers,
        cast(retained_on as {{ dbt.type_bigint() }}) as retained_on,
        {{ day_n_retention_rate('retained_on', 'eligible_customers') }}
            as retention_rate_on,
        cast(retained_on_or_after as {{ dbt.type_bigint() }})
            as retained_on_or_after,
        {{ day_n_retention_rate('retained_on_or_after',
            'eligible_customers') }} as retention_rate_on_or_after,
        cast(activated_customers as {{ dbt.type_bigint() }})
            as activated_customers,
        {{ activation_rate('activated_customers', 'cohort_size') }}
            as activation_rate
    from counted
)

select * from final
