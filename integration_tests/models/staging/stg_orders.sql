-- The user's own stg_orders: not the package's.
select
    'user-order-1' as order_id,
    'user' as owned_by
