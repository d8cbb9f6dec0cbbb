{#
    METRICS.md "Signup conversion": eligibility for a larger N is a subset
    of eligibility for a smaller N (signup date + N <= as_of_date), and a
    customer converted by day N is converted by every later day. So within
    a signup week, from one N to the next larger one, converted customers
    can only drop by the customers who stopped being eligible:
    converted(N2) >= converted(N1) - (eligible(N1) - eligible(N2)). With
    equal eligible counts (the same customers), conversions never decrease.
    Returns the pairs of rows that break it.
#}
with

conversion as (
    select * from {{ ref('retention', 'signup_conversion') }}
),

consecutive as (
    select
        signup_week,
        day_n,
        eligible_customers,
        converted_customers,
        lag(day_n) over (
            partition by signup_week order by day_n
        ) as previous_day_n,
        lag(eligible_customers) over (
            partition by signup_week order by day_n
        ) as previous_eligible_customers,
        lag(converted_customers) over (
            partition by signup_week order by day_n
        ) as previous_converted_customers
    from conversion
),

final as (
    select *
    from consecutive
    where
        previous_day_n is not null
        and converted_customers
        < previous_converted_customers
        - (previous_eligible_customers - eligible_customers)
)

select * from final
