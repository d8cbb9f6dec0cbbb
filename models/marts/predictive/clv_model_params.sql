{#
    The fitted BG/NBD and Gamma-Gamma parameters, one row per model x
    parameter (long format; docs/metric_decisions.md "Predictive CLV").
#}
with

fit as (
    select * from {{ ref('retention', clv_fit_model()) }}
),

final as (
    select
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(parameter as {{ dbt.type_string() }}) as parameter,
        cast(value as {{ type_ratio() }}) as value,
        cast(fit_status as {{ dbt.type_string() }}) as fit_status,
        cast(observation_end as date) as observation_end,
        cast(time_unit_days as integer) as time_unit_days,
        cast(penalizer_coef as {{ type_ratio() }}) as penalizer_coef
    from fit
)

select * from final
