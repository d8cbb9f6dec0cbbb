{#
    Cohort retention heatmap: one row per cohort, one column per period
    number (0..24), classic retention rate in each cell (NULL where the
    cohort has not reached the period). Compile with
    `dbt compile --select cohort_retention_pivot` and run the SQL in
    target/compiled/ with any client.
#}
{%- set max_period = 24 %}

with

cohort_retention as (
    select * from {{ ref('retention', 'cohort_retention') }}
),

final as (
    select
        cohort_period,
        max(cohort_size) as cohort_size,
        {% for period in range(max_period + 1) -%}
            max(
                case
                    when period_number = {{ period }} then retention_rate
                end
            ) as p{{ period }},
        {% endfor -%}
        max(period_number) as last_period_number
    from cohort_retention
    group by cohort_period
)

select * from final
order by cohort_period
