{#
    Which early action predicts retention (METRICS.md "Activation drivers"):
    over the customers whose signup date + driver_outcome_days is on or
    before as_of_date, one row per event name done on days
    0..activation_window_days after signup by at least one of them, plus the
    pseudo-event first_purchase (a purchase day in that early window; always
    a row). Retained = a purchase day on days activation_window_days + 1 ..
    driver_outcome_days. A staged event literally named first_purchase is
    left out (the name is the pseudo-event's). The early events come from
    int_customer_early_events (incremental by customer), not from a scan of
    stg_events. With using_events: false only the first_purchase row is
    built.
#}
with

customers as (
    select * from {{ ref('retention', 'stg_customers') }}
),

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

{%- if using_raw_table('events') %}

    customer_early_events as (
        select * from {{ ref('retention', 'int_customer_early_events') }}
    ),
{%- endif %}

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

population as (
    select
        customers.customer_id,
        customers.signup_date
    from customers
    cross join as_of
    where
        {{ is_driver_population('customers.signup_date',
            'as_of.as_of_date') }}
),

{# One row per population customer: did they buy in the early window
    (first_purchase), were they retained. One join over the purchase days
    of days 0..driver_outcome_days, read once. #}
customer_outcomes as (
    select
        population.customer_id,
        population.signup_date,
        max(
            case
                when {{ is_in_early_window('purchase_days.purchase_date',
                    'population.signup_date') }} then 1
                else 0
            end
        ) as did_first_purchase,
        max(
            case
                when {{ is_in_outcome_window('purchase_days.purchase_date',
                    'population.signup_date') }} then 1
                else 0
            end
        ) as is_retained
    from population
    left join purchase_days
        on
            population.customer_id = purchase_days.customer_id
            and population.signup_date <= purchase_days.purchase_date
            and {{ add_days('population.signup_date',
                get_driver_outcome_days()) }}
            >= purchase_days.purchase_date
    group by
        population.customer_id,
        population.signup_date
),

{%- if using_raw_table('events') %}

    {# Each event name a population customer did in the early window, once
        (int_customer_early_events holds them per customer; its row with a
        NULL event_name marks a customer without any), with the customer's
        outcome. #}
    early_events as (
        select
            customer_outcomes.customer_id,
            customer_early_events.event_name,
            customer_outcomes.is_retained
        from customer_outcomes
        inner join customer_early_events
            on customer_outcomes.customer_id = customer_early_events.customer_id
        where customer_early_events.event_name is not null
    ),
{%- endif %}

{# One row per (customer, event name) that counts: every population
    customer is a member of the first_purchase row (did it or not), so that
    row also counts the population; the literal row keeps first_purchase
    when the population is empty. Each input is read once (Spark inlines a
    CTE read twice and computes it twice). #}
driver_rows as (
    select
        'first_purchase' as event_name,
        0 as is_member,
        0 as member_retained,
        0 as did,
        0 as did_retained
    union all
    select
        'first_purchase' as event_name,
        1 as is_member,
        is_retained as member_retained,
        did_first_purchase as did,
        did_first_purchase * is_retained as did_retained
    from customer_outcomes
    {%- if using_raw_table('events') %}
        union all
        select
            event_name,
            0 as is_member,
            0 as member_retained,
            1 as did,
            is_retained as did_retained
        from early_events
    {%- endif %}
),

event_counts as (
    select
        event_name,
        cast(sum(is_member) as {{ dbt.type_bigint() }}) as members,
        cast(sum(member_retained) as {{ dbt.type_bigint() }})
            as members_retained,
        cast(sum(did) as {{ dbt.type_bigint() }}) as did_customers,
        cast(sum(did_retained) as {{ dbt.type_bigint() }}) as did_retained
    from driver_rows
    group by event_name
),

{# The population's counts sit on the first_purchase row only; a window
    over the few event rows hands them to every row. #}
with_population as (
    select
        event_name,
        did_customers,
        did_retained,
        cast(sum(members) over () as {{ dbt.type_bigint() }}) as customers,
        cast(sum(members_retained) over () as {{ dbt.type_bigint() }})
            as retained_customers
    from event_counts
),

groups as (
    select
        event_name,
        customers,
        did_customers,
        did_retained,
        customers - did_customers as not_customers,
        retained_customers - did_retained as not_retained
    from with_population
),

rates as (
    select
        *,
        {{ did_share('did_customers', 'customers') }} as did_share,
        {{ retained_share('did_retained', 'did_customers') }}
            as retained_if_did,
        {{ retained_share('not_retained', 'not_customers') }}
            as retained_if_not,
        {{ phi_coefficient('did_retained', 'did_customers',
            'not_retained', 'not_customers') }} as phi,
        {{ two_proportion_z('did_retained', 'did_customers',
            'not_retained', 'not_customers') }} as z_statistic
    from groups
),

final as (
    select
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(did_customers as {{ dbt.type_bigint() }}) as did_customers,
        did_share,
        retained_if_did,
        retained_if_not,
        {{ retention_lift('retained_if_did', 'retained_if_not') }}
            as retention_lift,
        {{ retention_difference('retained_if_did', 'retained_if_not') }}
            as retention_difference,
        phi,
        {{ normal_two_sided_p_value('z_statistic') }} as p_value
    from rates
)

select * from final
