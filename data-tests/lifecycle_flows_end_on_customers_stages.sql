{#
    METRICS.md "Lifecycle flows": the as_of_date snapshot's to_stage counts
    equal the customers mart's lifecycle_stage counts. Returns each stage
    whose two counts differ (a stage missing on one side counts 0 there).
#}
with

flows as (
    select * from {{ ref('retention', 'lifecycle_flows') }}
),

customers as (
    select * from {{ ref('retention', 'customers') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

arrivals_on_as_of_date as (
    select
        flows.to_stage as lifecycle_stage,
        sum(flows.customers) as flow_customers
    from flows
    inner join as_of
        on flows.snapshot_date = as_of.as_of_date
    group by flows.to_stage
),

customers_by_stage as (
    select
        lifecycle_stage,
        count(*) as mart_customers
    from customers
    group by lifecycle_stage
),

compared as (
    select
        coalesce(
            arrivals_on_as_of_date.lifecycle_stage,
            customers_by_stage.lifecycle_stage
        ) as lifecycle_stage,
        coalesce(arrivals_on_as_of_date.flow_customers, 0) as flow_customers,
        coalesce(customers_by_stage.mart_customers, 0) as mart_customers
    from arrivals_on_as_of_date
    full outer join customers_by_stage
        on
            arrivals_on_as_of_date.lifecycle_stage
            = customers_by_stage.lifecycle_stage
),

final as (
    select * from compared
    where flow_customers != mart_customers
)

select * from final
