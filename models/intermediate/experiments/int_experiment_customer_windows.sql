{#
    One row per counted experiment customer x outcome window W of
    experiment_windows_days (METRICS.md "Experiments"): eligible when the
    assignment date + W <= as_of_date, and what the customer did on days
    0..W after the assignment date (day 0 = the assignment date): purchase
    days, net revenue, activation days. Outcomes are filled for every
    customer; only eligible ones are counted in experiment_results.
#}
{%- set windows = get_experiment_windows_days() %}

with

assignments as (
    select * from {{ ref('retention', 'int_experiment_assignments') }}
    where is_counted
),

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

{% if using_raw_table('events') %}
    activation_days as (
        select
            customer_id,
            event_date
        from {{ ref('retention', 'int_customer_event_days') }}
        where activation_events > 0
    ),
{% else %}
    {# using_events: false reads like an empty raw.events: nobody activates. #}
    activation_days as (
        select
            cast(null as {{ dbt.type_string() }}) as customer_id,
            cast(null as date) as event_date
        where 1 = 0
    ),
{% endif %}

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

windows as (
    {% for window_days in windows -%}
        select {{ window_days }} as window_days
        {% if not loop.last %}union all{% endif %}
    {% endfor -%}
),

purchase_offsets as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        {{ days_between('assignments.assigned_date',
            'purchase_days.purchase_date') }} as day_offset,
        purchase_days.net_revenue
    from assignments
    inner join purchase_days
        on assignments.customer_id = purchase_days.customer_id
    where
        purchase_days.purchase_date >= assignments.assigned_date
        and purchase_days.purchase_date
        <= {{ add_days('assignments.assigned_date', windows | max) }}
),

activation_offsets as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        {{ days_between('assignments.assigned_date',
            'activation_days.event_date') }} as day_offset
    from assignments
    inner join activation_days
        on assignments.customer_id = activation_days.customer_id
    where
        activation_days.event_date >= assignments.assigned_date
        and activation_days.event_date
        <= {{ add_days('assignments.assigned_date', windows | max) }}
),

customer_windows as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        assignments.variant,
        assignments.assigned_date,
        windows.window_days,
        {{ days_between('assignments.assigned_date', 'as_of.as_of_date') }}
        >= windows.window_days as is_eligible
    from assignments
    cross join windows
    cross join as_of
),

purchases_in_window as (
    select
        customer_windows.experiment_id,
        customer_windows.customer_id,
        customer_windows.window_days,
        count(*) as purchase_days,
        sum(purchase_offsets.net_revenue) as net_revenue
    from customer_windows
    inner join purchase_offsets
        on
            customer_windows.experiment_id = purchase_offsets.experiment_id
            and customer_windows.customer_id = purchase_offsets.customer_id
            and customer_windows.window_days >= purchase_offsets.day_offset
    group by
        customer_windows.experiment_id,
        customer_windows.customer_id,
        customer_windows.window_days
),

activations_in_window as (
    select
        customer_windows.experiment_id,
        customer_windows.customer_id,
        customer_windows.window_days
    from customer_windows
    inner join activation_offsets
        on
            customer_windows.experiment_id = activation_offsets.experiment_id
            and customer_windows.customer_id = activation_offsets.customer_id
            and customer_windows.window_days >= activation_offsets.day_offset
    group by
        customer_windows.experiment_id,
        customer_windows.customer_id,
        customer_windows.window_days
),

final as (
    select
        customer_windows.experiment_id,
        customer_windows.customer_id,
        customer_windows.variant,
        customer_windows.assigned_date,
        customer_windows.window_days,
        customer_windows.is_eligible,
        cast(
            coalesce(purchases_in_window.purchase_days, 0)
            as {{ dbt.type_bigint() }}
        ) as purchase_days,
        cast(
            coalesce(purchases_in_window.net_revenue, 0) as {{ type_money() }}
        ) as net_revenue,
        activations_in_window.customer_id is not null as is_activated
    from customer_windows
    left join purchases_in_window
        on
            customer_windows.experiment_id = purchases_in_window.experiment_id
            and customer_windows.customer_id = purchases_in_window.customer_id
            and customer_windows.window_days = purchases_in_window.window_days
    left join activations_in_window
        on
            customer_windows.experiment_id
            = activations_in_window.experiment_id
            and customer_windows.customer_id
            = activations_in_window.customer_id
            and customer_windows.window_days
            = activations_in_window.window_days
)

select * from final
