{#
    The validated vars of the predictive CLV models, as a one-row table:
    dbt Python models cannot read vars, so int_clv_model_fit and
    int_clv_customer_predictions read them here.
#}
with

final as (
    select
        cast({{ get_clv_horizon_months() }} as integer) as horizon_months,
        cast({{ get_clv_monthly_discount_rate() }} as {{ type_ratio() }})
            as monthly_discount_rate,
        cast({{ get_clv_penalizer_coef() }} as {{ type_ratio() }})
            as penalizer_coef,
        cast({{ get_rfm_time_unit_days() }} as integer) as time_unit_days,
        cast({{ get_clv_time_units_per_month() }} as {{ type_ratio() }})
            as time_units_per_month
)

select * from final
