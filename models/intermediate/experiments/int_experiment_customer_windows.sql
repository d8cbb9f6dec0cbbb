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

{# Each (experiment, customer)'s purchase days and activation days of days
    0..max window, with their day offset. #}
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

{# One pass per input: every window's totals as columns of one row per
    (experiment, customer), by conditional aggregation (no join on
    day_offset <= window_days, which repeats each day once per window). #}
purchases_by_window as (
    select
        experiment_id,
        customer_id,
        {%- for window_days in windows %}
            sum(case when day_offset <= {{ window_days }} then 1 else 0 end)
                as purchase_days_{{ window_days }},
            sum(
                case
                    when day_offset <= {{ window_days }} then net_revenue
                end
            ) as net_revenue_{{ window_days }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from purchase_offsets
    group by experiment_id, customer_id
),

activations_by_window as (
    select
        experiment_id,
        customer_id,
        {%- for window_days in windows %}
            max(case when day_offset <= {{ window_days }} then 1 else 0 end)
                as is_activated_{{ window_days }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from activation_offsets
    group by experiment_id, customer_id
),

customer_totals as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        assignments.variant,
        assignments.assigned_date,
        {%- for window_days in windows %}
            purchases_by_window.purchase_days_{{ window_days }},
            purchases_by_window.net_revenue_{{ window_days }},
            activations_by_window.is_activated_{{ window_days }},
        {%- endfor %}
        {{ days_between('assignments.assigned_date', 'as_of.as_of_date') }}
            as days_since_assignment
    from assignments
    cross join as_of
    left join purchases_by_window
        on
            assignments.experiment_id = purchases_by_window.experiment_id
            and assignments.customer_id = purchases_by_window.customer_id
    left join activations_by_window
        on
            assignments.experiment_id = activations_by_window.experiment_id
            and assignments.customer_id = activations_by_window.customer_id
),

{# One row per window: the window's columns picked by window_days. #}
customer_windows as (
    select
        customer_totals.experiment_id,
        customer_totals.customer_id,
        customer_totals.variant,
        customer_totals.assigned_date,
        windows.window_days,
        customer_totals.days_since_assignment >= windows.window_days
            as is_eligible,
        case windows.window_days
            {%- for window_days in windows %}
                when {{ window_days }}
                    then customer_totals.purchase_days_{{ window_days }}
            {%- endfor %}
        end as purchase_days,
        case windows.window_days
            {%- for window_days in windows %}
                when {{ window_days }}
                    then customer_totals.net_revenue_{{ window_days }}
            {%- endfor %}
        end as net_revenue,
        case windows.window_days
            {%- for window_days in windows %}
                when {{ window_days }}
                    then customer_totals.is_activated_{{ window_days }}
            {%- endfor %}
        end as is_activated
    from customer_totals
    cross join windows
),

final as (
    select
        experiment_id,
        customer_id,
        variant,
        assigned_date,
        window_days,
        is_eligible,
        cast(coalesce(purchase_days, 0) as {{ dbt.type_bigint() }})
            as purchase_days,
        cast(coalesce(net_revenue, 0) as {{ type_money() }}) as net_revenue,
        coalesce(is_activated, 0) = 1 as is_activated
    from customer_windows
)

select * from final
