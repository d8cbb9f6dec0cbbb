{#
    Signup conversion by signup week (ISO, Monday) and day N of
    retention_days: of the customers who signed up in the week and whose
    signup date + N is on or before as_of_date, the share whose first
    purchase came within N days of signup ("time to first value").
#}
with

signups as (
    select * from {{ ref('retention', 'int_customer_signups') }}
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

customer_days as (
    select
        signups.signup_week,
        day_numbers.day_n,
        {{ day_n_is_eligible('signups.signup_date', 'day_numbers.day_n',
            'as_of.as_of_date') }} as is_eligible,
        {{ is_converted_by_day_n('signups.days_to_first_purchase',
            'day_numbers.day_n') }} as is_converted_by_day_n
    from signups
    cross join day_numbers
    cross join as_of
),

counted as (
    select
        signup_week,
        day_n,
        count(*) as signups,
        sum(case when is_eligible then 1 else 0 end) as eligible_customers,
        sum(
            case when is_eligible and is_converted_by_day_n then 1 else 0 end
        ) as converted_customers
    from customer_days
    group by signup_week, day_n
),

final as (
    select
        signup_week,
        cast(day_n as integer) as day_n,
        cast(signups as {{ dbt.type_bigint() }}) as signups,
        cast(eligible_customers as {{ dbt.type_bigint() }})
            as eligible_customers,
        cast(converted_customers as {{ dbt.type_bigint() }})
            as converted_customers,
        {{ conversion_rate('converted_customers', 'eligible_customers') }}
            as conversion_rate
    from counted
)

select * from final
