{#
    One row per experiment x customer with a staged assignment
    (METRICS.md "Experiments", docs/metric_decisions.md): rows dated after
    as_of_date are ignored (and counted); a customer's assignment is their
    earliest row on or before as_of_date; a customer seen in two or more
    variants of the experiment is not counted in it (is_counted false,
    variant and assigned_date NULL).
#}
with

assignments as (
    select * from {{ ref('retention', 'stg_experiment_assignments') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

dated as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        assignments.variant,
        assignments.assigned_date,
        assignments.assigned_date <= as_of.as_of_date as is_counted_row
    from assignments
    cross join as_of
),

per_customer as (
    select
        experiment_id,
        customer_id,
        count(distinct case when is_counted_row then variant end)
            as variants_seen,
        min(case when is_counted_row then variant end) as first_variant,
        min(case when is_counted_row then assigned_date end)
            as first_assigned_date,
        sum(case when is_counted_row then 0 else 1 end)
            as rows_after_as_of_date
    from dated
    group by experiment_id, customer_id
),

final as (
    select
        experiment_id,
        customer_id,
        variants_seen = 1 as is_counted,
        case when variants_seen = 1 then first_variant end as variant,
        case
            when variants_seen = 1 then first_assigned_date
        end as assigned_date,
        cast(variants_seen as {{ dbt.type_bigint() }}) as variants_seen,
        cast(rows_after_as_of_date as {{ dbt.type_bigint() }})
            as rows_after_as_of_date
    from per_customer
)

select * from final
