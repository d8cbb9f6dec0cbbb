{#
    One row per experiment with a staged assignment (METRICS.md
    "Experiments"): the counted customers per variant and the
    sample-ratio-mismatch (SRM) p-value of those counts against an equal
    split (chi-square, k - 1 degrees of freedom; NULL with fewer than two
    variants), the customers seen in several variants (not counted
    anywhere), the first and last counted assignment dates and the staged
    rows dated after as_of_date (ignored).
#}
with

assignments as (
    select * from {{ ref('retention', 'int_experiment_assignments') }}
),

variant_counts as (
    select
        experiment_id,
        variant,
        count(*) as customers
    from assignments
    where is_counted
    group by experiment_id, variant
),

experiment_counts as (
    select
        experiment_id,
        count(*) as variants,
        sum(customers) as assigned_customers,
        min(customers) as smallest_variant_customers,
        max(customers) as largest_variant_customers
    from variant_counts
    group by experiment_id
),

chi_square as (
    select
        variant_counts.experiment_id,
        sum(
            {{ equal_split_chi_square_term('variant_counts.customers',
                'experiment_counts.assigned_customers',
                'experiment_counts.variants') }}
        ) as srm_chi_square
    from variant_counts
    inner join experiment_counts
        on variant_counts.experiment_id = experiment_counts.experiment_id
    where experiment_counts.variants >= 2
    group by variant_counts.experiment_id
),

per_experiment as (
    select
        experiment_id,
        sum(case when variants_seen >= 2 then 1 else 0 end)
            as customers_in_several_variants,
        min(assigned_date) as first_assigned_date,
        max(assigned_date) as last_assigned_date,
        sum(rows_after_as_of_date) as rows_after_as_of_date
    from assignments
    group by experiment_id
),

combined as (
    select
        per_experiment.*,
        experiment_counts.smallest_variant_customers,
        experiment_counts.largest_variant_customers,
        chi_square.srm_chi_square,
        coalesce(experiment_counts.variants, 0) as variants,
        coalesce(experiment_counts.assigned_customers, 0)
            as assigned_customers,
        experiment_counts.variants - 1 as degrees_of_freedom
    from per_experiment
    left join experiment_counts
        on per_experiment.experiment_id = experiment_counts.experiment_id
    left join chi_square
        on per_experiment.experiment_id = chi_square.experiment_id
),

final as (
    select
        experiment_id,
        cast(variants as {{ dbt.type_bigint() }}) as variants,
        cast(assigned_customers as {{ dbt.type_bigint() }})
            as assigned_customers,
        cast(smallest_variant_customers as {{ dbt.type_bigint() }})
            as smallest_variant_customers,
        cast(largest_variant_customers as {{ dbt.type_bigint() }})
            as largest_variant_customers,
        cast(
            {{ chi_square_p_value('srm_chi_square', 'degrees_of_freedom') }}
            as {{ type_ratio() }}
        ) as srm_p_value,
        cast(customers_in_several_variants as {{ dbt.type_bigint() }})
            as customers_in_several_variants,
        first_assigned_date,
        last_assigned_date,
        cast(rows_after_as_of_date as {{ dbt.type_bigint() }})
            as rows_after_as_of_date
    from combined
)

select * from final
