{#
    Do promoters come back? (METRICS.md "NPS"): per response month and NPS
    class, the respondents (latest response of the month), those whose
    response date + nps_repurchase_window_days is on or before as_of_date
    (eligible), and those of them with a purchase day in (response date,
    response date + window]. Every month of nps x the three classes, zero
    rows included.
#}
with

responses as (
    select * from {{ ref('retention', 'int_nps_responses') }}
    where is_latest_in_month
),

response_months as (
    select * from {{ ref('retention', 'int_nps_month_spine') }}
),

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

classes as (
    select 'promoter' as nps_class
    union all
    select 'passive' as nps_class
    union all
    select 'detractor' as nps_class
),

eligible as (
    select
        responses.customer_id,
        responses.month_start,
        responses.response_date
    from responses
    cross join as_of
    where {{ nps_repurchase_is_eligible('responses.response_date',
        'as_of.as_of_date') }}
),

repurchasers as (
    select distinct
        eligible.customer_id,
        eligible.month_start
    from eligible
    inner join purchase_days
        on
            eligible.customer_id = purchase_days.customer_id
            and {{ is_nps_repurchase('purchase_days.purchase_date',
                'eligible.response_date') }}
),

flagged as (
    select
        responses.month_start,
        responses.nps_class,
        case when eligible.customer_id is null then 0 else 1 end
            as is_eligible,
        case when repurchasers.customer_id is null then 0 else 1 end
            as has_repurchased
    from responses
    left join eligible
        on
            responses.customer_id = eligible.customer_id
            and responses.month_start = eligible.month_start
    left join repurchasers
        on
            responses.customer_id = repurchasers.customer_id
            and responses.month_start = repurchasers.month_start
),

class_counts as (
    select
        month_start,
        nps_class,
        count(*) as respondents,
        sum(is_eligible) as eligible_respondents,
        sum(has_repurchased) as repurchased
    from flagged
    group by month_start, nps_class
),

final as (
    select
        response_months.period_start as month_start,
        cast(classes.nps_class as {{ dbt.type_string() }}) as nps_class,
        cast(coalesce(class_counts.respondents, 0) as {{ dbt.type_bigint() }})
            as respondents,
        cast(
            coalesce(class_counts.eligible_respondents, 0)
            as {{ dbt.type_bigint() }}
        ) as eligible_respondents,
        cast(coalesce(class_counts.repurchased, 0) as {{ dbt.type_bigint() }})
            as repurchased,
        {{ nps_repurchase_rate('class_counts.repurchased',
            'class_counts.eligible_respondents') }} as repurchase_rate
    from response_months
    cross join classes
    left join class_counts
        on
            response_months.period_start = class_counts.month_start
            and classes.nps_class = class_counts.nps_class
)

select * from final
