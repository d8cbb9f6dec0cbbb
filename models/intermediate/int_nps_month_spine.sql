{#
    The calendar months of the NPS marts: from the month of the first NPS
    response through the month containing as_of_date (METRICS.md "Readings
    fixed for the second wave"), with the days counted in each; the macro
    period_spine, started at the first response instead of the first
    purchase. No rows without responses.
#}
with

responses as (
    select * from {{ ref('retention', 'int_nps_responses') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

bounds as (
    select
        {{ periods_between(period_start('min(responses.response_date)',
            'month'), period_start('max(as_of.as_of_date)', 'month'),
            'month') }} as max_number
    from responses
    cross join as_of
),

month_numbers as (
    select {{ integer_series(0, 'max_number') }} as period_number
    from bounds
    where max_number is not null
),

final as (
    {{ period_spine('month', 'responses', 'month_numbers', 'as_of',
        start_column='response_date') | indent(4) }}
)

select * from final
