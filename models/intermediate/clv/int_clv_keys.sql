{#
    The compact table the CLV fit step reads on Postgres and Spark (`retention
    clv-fit`, docs/predictive_clv.md): the distinct (frequency, recency, t,
    monetary_value) of int_rfm_summary with the number of customers sharing
    each. The step fits BG/NBD and Gamma-Gamma on it with the code of the dbt
    Python models and writes one prediction per key; int_clv_step_predictions
    joins them back to the customers on these four columns.
#}
with

rfm as (
    select * from {{ ref('retention', 'int_rfm_summary') }}
),

final as (
    select
        cast(frequency as {{ dbt.type_bigint() }}) as frequency,
        cast(recency as {{ type_ratio() }}) as recency,
        cast(t as {{ type_ratio() }}) as t,
        cast(monetary_value as {{ type_ratio() }}) as monetary_value,
        observation_end,
        count(*) as customers
    from rfm
    group by
        cast(frequency as {{ dbt.type_bigint() }}),
        cast(recency as {{ type_ratio() }}),
        cast(t as {{ type_ratio() }}),
        cast(monetary_value as {{ type_ratio() }}),
        observation_end
)

select * from final
