{#
    Day-grain time spine for the semantic layer (MetricFlow joins cumulative
    and time-offset metrics to it). Built from integer_series, the project's
    dispatched series macro, so it needs no package and runs on every engine:
    one row per day from spine_start for spine_days days.
#}
{%- set spine_start = "2000-01-01" -%}
{%- set spine_days = 40000 -%}

with

day_offsets as (
    select {{ integer_series(0, spine_days - 1) }} as day_offset
),

final as (
    select
        {{ add_days("cast('" ~ spine_start ~ "' as date)", 'day_offset') }}
            as date_day
    from day_offsets
)

select * from final
