{#
    METRICS.md "Segments": for every segment dimension, the counts of a
    segment mart summed over segment_value equal the unsegmented mart, and
    the acquisition_channel slice of cohort_retention_by_segment is
    cohort_retention_by_channel. Returns the keys where they differ.
#}
with

by_segment as (
    select * from {{ ref('retention', 'cohort_retention_by_segment') }}
),

pooled as (
    select * from {{ ref('retention', 'cohort_retention') }}
),

by_channel as (
    select * from {{ ref('retention', 'cohort_retention_by_channel') }}
),

ltv as (
    select * from {{ ref('retention', 'ltv_by_segment') }}
),

churn_segments as (
    select * from {{ ref('retention', 'churn_by_segment') }}
),

churn as (
    select * from {{ ref('retention', 'churn') }}
),

customer_segments as (
    select * from {{ ref('retention', 'int_customer_segments') }}
),

segment_sums as (
    select
        segment,
        cohort_period,
        period_number,
        sum(cohort_size) as cohort_size,
        sum(active_customers) as active_customers,
        sum(retained_on_or_after) as retained_on_or_after,
        sum(purchases) as purchases,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(cumulative_gross_margin) as cumulative_gross_margin
    from by_segment
    group by segment, cohort_period, period_number
),

segments as (
    select distinct segment from by_segment
),

expected as (
    select
        pooled.*,
        segments.segment
    from pooled
    cross join segments
),

cohort_mismatches as (
    select
        'cohort_retention_by_segment' as mart,
        coalesce(expected.segment, segment_sums.segment) as segment,
        coalesce(expected.cohort_period, segment_sums.cohort_period)
            as cohort_period,
        coalesce(expected.period_number, segment_sums.period_number)
            as period_number
    from expected
    full outer join segment_sums
        on
            expected.segment = segment_sums.segment
            and expected.cohort_period = segment_sums.cohort_period
            and expected.period_number = segment_sums.period_number
    where
        expected.segment is null
        or segment_sums.segment is null
        or expected.cohort_size != segment_sums.cohort_size
        or expected.active_customers != segment_sums.active_customers
        or expected.retained_on_or_after != segment_sums.retained_on_or_after
        or expected.purchases != segment_sums.purchases
        or expected.net_revenue != segment_sums.net_revenue
        or expected.gross_margin != segment_sums.gross_margin
        or expected.cumulative_gross_margin
        != segment_sums.cumulative_gross_margin
),

ltv_sums as (
    select
        segment,
        cohort_period,
        sum(customers) as customers
    from ltv
    group by segment, cohort_period
),

ltv_mismatches as (
    select
        'ltv_by_segment' as mart,
        coalesce(expected.segment, ltv_sums.segment) as segment,
        coalesce(expected.cohort_period, ltv_sums.cohort_period)
            as cohort_period,
        0 as period_number
    from expected
    full outer join ltv_sums
        on
            expected.segment = ltv_sums.segment
            and expected.cohort_period = ltv_sums.cohort_period
    where
        (expected.period_number = 0 or expected.segment is null)
        and (
            expected.segment is null
            or ltv_sums.segment is null
            or expected.cohort_size != ltv_sums.customers
        )
),

churn_sums as (
    select
        segment,
        period_start,
        sum(customers_start) as customers_start,
        sum(customers_end) as customers_end,
        sum(new_customers) as new_customers,
        sum(new_customers_active_end) as new_customers_active_end,
        sum(retained_customers) as retained_customers,
        sum(churned_customers) as churned_customers,
        sum(reactivated_customers) as reactivated_customers
    from churn_segments
    group by segment, period_start
),

churn_expected as (
    select
        churn.*,
        segments.segment
    from churn
    cross join segments
),

churn_mismatches as (
    select
        'churn_by_segment' as mart,
        coalesce(churn_expected.segment, churn_sums.segment) as segment,
        coalesce(churn_expected.period_start, churn_sums.period_start)
            as cohort_period,
        0 as period_number
    from churn_expected
    full outer join churn_sums
        on
            churn_expected.segment = churn_sums.segment
            and churn_expected.period_start = churn_sums.period_start
    where
        churn_expected.segment is null
        or churn_sums.segment is null
        or churn_expected.customers_start != churn_sums.customers_start
        or churn_expected.customers_end != churn_sums.customers_end
        or churn_expected.new_customers != churn_sums.new_customers
        or churn_expected.new_customers_active_end
        != churn_sums.new_customers_active_end
        or churn_expected.retained_customers != churn_sums.retained_customers
        or churn_expected.churned_customers != churn_sums.churned_customers
        or churn_expected.reactivated_customers
        != churn_sums.reactivated_customers
),

channel_slice as (
    select * from by_segment
    where segment = 'acquisition_channel'
),

{# The channel comparison holds when the channel dimension is used and
    none of its values was folded into `other` (segment_max_values). #}
channel_comparable as (
    select
        (select count(*) from channel_slice) > 0
        and (
            select count(*) from customer_segments
            where
                customer_segments.segment = 'acquisition_channel'
                and customer_segments.is_folded_into_other
        ) = 0 as is_comparable
),

channel_mismatches as (
    select
        'cohort_retention_by_channel' as mart,
        'acquisition_channel' as segment,
        coalesce(by_channel.cohort_period, channel_slice.cohort_period)
            as cohort_period,
        coalesce(by_channel.period_number, channel_slice.period_number)
            as period_number
    from by_channel
    full outer join channel_slice
        on
            by_channel.acquisition_channel = channel_slice.segment_value
            and by_channel.cohort_period = channel_slice.cohort_period
            and by_channel.period_number = channel_slice.period_number
    cross join channel_comparable
    where
        channel_comparable.is_comparable
        and (
            by_channel.cohort_period is null
            or channel_slice.cohort_period is null
            or by_channel.cohort_size != channel_slice.cohort_size
            or by_channel.active_customers != channel_slice.active_customers
            or by_channel.retained_on_or_after
            != channel_slice.retained_on_or_after
            or by_channel.cumulative_gross_margin
            != channel_slice.cumulative_gross_margin
        )
)

select * from cohort_mismatches
union all
select * from ltv_mismatches
union all
select * from churn_mismatches
union all
select * from channel_mismatches
