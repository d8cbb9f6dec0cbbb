-- The user's own time spine under MetricFlow's standard name (plain SQL
-- that every engine runs: the same project is built on Postgres too).
select
    'user' as owned_by,
    cast('2024-01-01' as date) as date_day
union all
select
    'user' as owned_by,
    cast('2024-01-02' as date) as date_day
union all
select
    'user' as owned_by,
    cast('2024-01-03' as date) as date_day
