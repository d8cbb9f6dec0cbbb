{#
    The early actions that go with retention, strongest first (how to read
    it: docs/activation_drivers.md). Ranked by phi, the correlation between
    doing the action in the first activation_window_days days and buying on
    days activation_window_days + 1 .. driver_outcome_days after signup;
    ties by event_name. Only actions where both groups (did / did not) have
    at least min_group_customers customers: a rare action can show a huge
    lift on a handful of customers, and an action (nearly) everyone does
    separates nobody. Correlation, not causation: test a candidate with an
    experiment before building onboarding around it.
#}
{%- set min_group_customers = 30 %}

with

drivers as (
    select * from {{ ref('retention', 'activation_drivers') }}
),

comparable as (
    select *
    from drivers
    where
        did_customers >= {{ min_group_customers }}
        and customers - did_customers >= {{ min_group_customers }}
        and phi is not null
),

ranked as (
    select
        event_name,
        customers,
        did_customers,
        did_share,
        retained_if_did,
        retained_if_not,
        retention_lift,
        retention_difference,
        phi,
        p_value,
        row_number() over (order by phi desc, event_name asc) as driver_rank,
        p_value < 0.05 as is_significant_at_5_percent
    from comparable
)

select * from ranked
order by driver_rank
