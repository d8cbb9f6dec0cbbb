-- The user's own time spine under MetricFlow's standard name.
select
    'user' as owned_by,
    cast('2024-01-01' as date) + cast(series.day_offset as integer) as date_day
from range(3) as series (day_offset)
