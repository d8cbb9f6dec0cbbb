{#
    The periods of one grain from the period of the earliest first purchase
    through the period containing as_of_date, as a select: period_start,
    period_end (the period's last day, or as_of_date for the period
    containing it), day_before_start and is_complete_period. int_month_spine
    (grain month) and int_period_spine (every grain of churn_grains) are this
    one spine. customers, period_numbers and as_of name the relations (or
    CTEs) of int_customers_assigned_to_cohorts, int_period_numbers and
    int_as_of_date; with start_column another relation of dates can set the
    first period (int_nps_month_spine: the first NPS response).

    period_spines(grains, ...): the spines of several grains unioned, with a
    first column `grain`.
#}
{% macro period_spines(grains, customers, period_numbers, as_of) -%}
    {%- for grain in grains %}
    select
        cast('{{ grain }}' as {{ dbt.type_string() }}) as grain,
        {{ grain }}_periods.*
    from (
        {{ period_spine(grain, customers, period_numbers, as_of) | indent(8) }}
    ) as {{ grain }}_periods
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{% macro period_spine(grain, customers, period_numbers, as_of,
    start_column='first_purchase_date') -%}
    select
        periods.period_start,
        case
            when {{ period_end('periods.period_start', grain) }}
                <= periods.as_of_date
                then {{ period_end('periods.period_start', grain) }}
            else periods.as_of_date
        end as period_end,
        {{ add_days('periods.period_start', -1) }} as day_before_start,
        {{ period_end('periods.period_start', grain) }}
        <= periods.as_of_date as is_complete_period
    from (
        select
            {{ add_periods('bounds.first_period',
                'spine_numbers.period_number', grain) }} as period_start,
            bounds.as_of_date
        from (
            select
                first_periods.first_period,
                as_of_dates.as_of_date,
                {{ period_start('as_of_dates.as_of_date', grain) }}
                    as as_of_period
            from (
                select
                    {{ period_start('min(' ~ start_column ~ ')', grain) }}
                        as first_period
                from {{ customers }}
            ) as first_periods
            cross join {{ as_of }} as as_of_dates
        ) as bounds
        inner join {{ period_numbers }} as spine_numbers
            on spine_numbers.period_number <= {{ periods_between(
                'bounds.first_period', 'bounds.as_of_period', grain) }}
    ) as periods
{%- endmacro %}
