-- The user's own churn: not the package's.
select
    cast('2024-01-01' as date) as churn_month,
    'user' as owned_by
