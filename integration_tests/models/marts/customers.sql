-- The user's own customers (schema marts in prod): not the package's.
select
    'user-customer-1' as customer_id,
    'user' as owned_by
