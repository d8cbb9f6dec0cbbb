{#
    NPS per calendar month of the response (METRICS.md "NPS"): every
    response counts in `responses`, but each customer speaks once a month,
    with their latest response of the month. Months run from the first
    response month through the month containing as_of_date, zero-filled.
#}
with

responses as (
    select * from {{ ref('retention', 'int_nps_responses') }}
),

response_months as (
    select * from {{ ref('retention', 'int_nps_month_spine') }}
),

month_counts as (
    select
        month_start,
        count(*) as responses,
        sum(case when is_latest_in_month then 1 else 0 end) as respondents,
        sum(
            case
                when is_latest_in_month and nps_class = 'promoter' then 1
                else 0
            end
        ) as promoters,
        sum(
            case
                when is_latest_in_month and nps_class = 'passive' then 1
                else 0
            end
        ) as passives,
        sum(
            case
                when is_latest_in_month and nps_class = 'detractor' then 1
                else 0
            end
        ) as detractors
    from responses
    group by month_start
),

joined as (
    select
        response_months.period_start as month_start,
        response_months.is_complete_period,
        coalesce(month_counts.responses, 0) as responses,
        coalesce(month_counts.respondents, 0) as respondents,
        coalesce(month_counts.promoters, 0) as promoters,
        coalesce(month_counts.passives, 0) as passives,
        coalesce(month_counts.detractors, 0) as detractors
    from response_months
    left join month_counts
        on response_months.period_start = month_counts.month_start
),

final as (
    select
        month_start,
        cast(responses as {{ dbt.type_bigint() }}) as responses,
        cast(respondents as {{ dbt.type_bigint() }}) as respondents,
        cast(promoters as {{ dbt.type_bigint() }}) as promoters,
        cast(passives as {{ dbt.type_bigint() }}) as passives,
        cast(detractors as {{ dbt.type_bigint() }}) as detractors,
        {{ nps_share('promoters', 'respondents') }} as promoter_share,
        {{ nps_share('detractors', 'respondents') }} as detractor_share,
        {{ nps_score('promoters', 'detractors', 'respondents') }} as nps,
        is_complete_period
    from joined
)

select * from final
