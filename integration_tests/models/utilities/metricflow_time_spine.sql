-- The user's own time spine under MetricFlow's standard name.
select
    cast('2024-01-01' as date) + cast(day_offset as integer) as date_day,
    'user' as owned_by
from range(3) as series (day_offset)
