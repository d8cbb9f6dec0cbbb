{#
    Per-customer BG/NBD + Gamma-Gamma predictions as of rfm_summary's
    observation_end (docs/metric_decisions.md "Predictive CLV").
#}
with

predicted as (
    select * from {{ ref('retention', clv_predictions_model()) }}
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(p_alive as {{ type_ratio() }}) as p_alive,
        cast(expected_purchases as {{ type_ratio() }}) as expected_purchases,
        cast(expected_avg_net_revenue as {{ type_ratio() }})
            as expected_avg_net_revenue,
        cast(predicted_cltv as {{ type_ratio() }}) as predicted_cltv,
        cast(observation_end as date) as observation_end,
        cast(horizon_months as integer) as horizon_months,
        cast(monthly_discount_rate as {{ type_ratio() }})
            as monthly_discount_rate
    from predicted
)

select * from final
