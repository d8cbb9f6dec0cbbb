{#
    Which early action predicts retention (METRICS.md "Activation drivers"):
    over the customers whose signup date + driver_outcome_days is on or
    before as_of_date, one row per event name done on days
    0..activation_window_days after signup by at least one of them, plus the
    pseudo-event first_purchase (a purchase day in that early window; always
    a row). Retained = a purchase day on days activation_window_days + 1 ..
    driver_outcome_days. A staged event literally named first_purchase is
    left out (the name is the pseudo-event's). With using_events: false only
    the first_purchase row is built.
#}
with

customers as (
    select * from {{ ref('retention', 'stg_customers') }}
),

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

{%- if using_raw_table('events') %}

    events as (
        select * from {{ ref('retention', 'stg_events') }}
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

early_purchasers as (
    select distinct
        population.customer_id,
        'first_purchase' as event_name
    from population
    inner join purchase_days
        on
            population.customer_id = purchase_days.customer_id
            and {{ is_in_early_window('purchase_days.purchase_date',
                'population.signup_date') }}
),

{%- if using_raw_table('events') %}

    early_events as (
        select distinct
            population.customer_id,
            events.event_name
        from population
        inner join events
            on
                population.customer_id = events.customer_id
                and {{ is_in_early_window('events.event_date',
                    'population.signup_date') }}
        where
            not events.is_anonymous
            and events.event_name <> 'first_purchase'
    ),
{%- endif %}

did_event as (
    select * from early_purchasers
    {%- if using_raw_table('events') %}
        union all
        select * from early_events
    {%- endif %}
),

retained as (
    select distinct population.customer_id
    from population
    inner join purchase_days
        on
            population.customer_id = purchase_days.customer_id
            and {{ is_in_outcome_window('purchase_days.purchase_date',
                'population.signup_date') }}
),

population_counts as (
    select
        count(*) as customers,
        coalesce(
            sum(case when retained.customer_id is not null then 1 else 0 end),
            0
        ) as retained_customers
    from population
    left join retained
        on population.customer_id = retained.customer_id
),

event_counts as (
    select
        did_event.event_name,
        count(*) as did_customers,
        sum(case when retained.customer_id is not null then 1 else 0 end)
            as did_retained
    from did_event
    left join retained
        on did_event.customer_id = retained.customer_id
    group by did_event.event_name
),

event_names as (
    select 'first_purchase' as event_name
    union
    select event_name from event_counts
),

groups as (
    select
        event_names.event_name,
        population_counts.customers,
        coalesce(event_counts.did_customers, 0) as did_customers,
        coalesce(event_counts.did_retained, 0) as did_retained,
        population_counts.customers - coalesce(event_counts.did_customers, 0)
            as not_customers,
        population_counts.retained_customers
        - coalesce(event_counts.did_retained, 0) as not_retained
    from event_names
    cross join population_counts
    left join event_counts
        on event_names.event_name = event_counts.event_name
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
