{#
    Postgres and Spark: the per-customer predictions of
    int_clv_customer_predictions (same columns), joined from the predictions
    per distinct key that `retention clv-fit` wrote (int_clv_fitted_keys;
    docs/predictive_clv.md) on (frequency, recency, t, monetary_value), the
    columns of int_clv_keys. NULL while int_clv_step_fit says `not_fitted` or
    `stale`.
#}
-- depends_on: {{ ref('retention', 'int_clv_keys') }}
{%- set fitted = clv_fit_step_done() %}

with

rfm as (
    select * from {{ ref('retention', 'int_rfm_summary') }}
),

fit as (
    select * from {{ ref('retention', 'int_clv_step_fit') }}
),

settings as (
    select * from {{ ref('retention', 'int_clv_settings') }}
),
{%- if fitted %}

    fitted_keys as (
        select * from {{ clv_fit_step_relation('keys') }}
    ),
{%- endif %}

fit_state as (
    select
        coalesce(sum(
            case when fit_status in ('stale', 'not_fitted') then 1 else 0 end
        ), 0) = 0 as is_usable
    from fit
),

final as (
    select
        rfm.customer_id,
        {%- for column in ['p_alive', 'expected_purchases',
            'expected_avg_net_revenue', 'predicted_cltv'] %}
            {% if fitted -%}
                cast(
                    case
                        when fit_state.is_usable then fitted_keys.{{ column }}
                    end as {{ type_ratio() }}
                )
            {%- else -%}
                cast(null as {{ type_ratio() }})
            {%- endif %} as {{ column }},
        {%- endfor %}
        rfm.observation_end,
        settings.horizon_months,
        settings.monthly_discount_rate
    from rfm
    cross join settings
    cross join fit_state
    {%- if fitted %}
        left join fitted_keys
            on
                cast(rfm.frequency as {{ dbt.type_bigint() }})
                = fitted_keys.frequency
                and cast(rfm.recency as {{ type_ratio() }})
                = fitted_keys.recency
                and cast(rfm.t as {{ type_ratio() }}) = fitted_keys.t
                and cast(rfm.monetary_value as {{ type_ratio() }})
                = fitted_keys.monetary_value
    {%- endif %}
)

select * from final
