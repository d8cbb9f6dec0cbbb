{#
    Postgres and Spark: the long fit rows of int_clv_model_fit (same columns),
    read from the table `retention clv-fit` wrote next to int_clv_keys
    (int_clv_fitted_params; docs/predictive_clv.md). fit_status says
    `not_fitted` while that table does not exist, and `stale` while the fit
    does not match the data and vars of this run (another observation_end,
    other customers or keys, another penalizer, time unit, horizon or
    discount rate): then the values are those of the last fit and
    int_clv_step_predictions has no predictions.
#}
{%- set fitted = clv_fit_step_done() %}

with

keys as (
    select * from {{ ref('retention', 'int_clv_keys') }}
),

settings as (
    select * from {{ ref('retention', 'int_clv_settings') }}
),
{%- if fitted %}

    fitted_params as (
        select * from {{ clv_fit_step_relation('params') }}
    ),

    fitted_keys as (
        select * from {{ clv_fit_step_relation('keys') }}
    ),
{%- endif %}

current_keys as (
    select
        max(observation_end) as observation_end,
        coalesce(sum(customers), 0) as customers,
        coalesce(sum(
            case
                when frequency > 0 and monetary_value > 0 then customers else 0
            end
        ), 0) as repeat_customers
    from keys
),
{%- if fitted %}

    fit_summary as (
        select
            max(
                case
                    when model = 'bg_nbd' and parameter = 'customers' then value
                end
            ) as customers,
            max(observation_end) as observation_end,
            max(penalizer_coef) as penalizer_coef,
            max(time_unit_days) as time_unit_days
        from fitted_params
    ),

    prediction_settings as (
        select
            max(horizon_months) as horizon_months,
            max(monthly_discount_rate) as monthly_discount_rate
        from fitted_keys
    ),

    unmatched_keys as (
        select count(*) as unmatched
        from keys
        left join fitted_keys
            on
                keys.frequency = fitted_keys.frequency
                and keys.recency = fitted_keys.recency
                and keys.t = fitted_keys.t
                and keys.monetary_value = fitted_keys.monetary_value
        where fitted_keys.frequency is null
    ),

    freshness as (
        select
            coalesce(
                fit_summary.customers = current_keys.customers
                and (
                    fit_summary.observation_end = current_keys.observation_end
                    or (
                        fit_summary.observation_end is null
                        and current_keys.observation_end is null
                    )
                )
                and fit_summary.penalizer_coef = settings.penalizer_coef
                and fit_summary.time_unit_days = settings.time_unit_days
                and unmatched_keys.unmatched = 0
                and (
                    prediction_settings.horizon_months is null
                    or (
                        prediction_settings.horizon_months
                        = settings.horizon_months
                        and prediction_settings.monthly_discount_rate
                        = settings.monthly_discount_rate
                    )
                ),
                false
            ) as is_current
        from current_keys
        cross join fit_summary
        cross join settings
        cross join unmatched_keys
        cross join prediction_settings
    ),

    final as (
        select
            fitted_params.model,
            fitted_params.parameter,
            cast(fitted_params.value as {{ type_ratio() }}) as value,
            case
                when freshness.is_current then fitted_params.fit_status
                else 'stale'
            end as fit_status,
            cast(fitted_params.observation_end as date) as observation_end,
            cast(fitted_params.time_unit_days as integer) as time_unit_days,
            cast(fitted_params.penalizer_coef as {{ type_ratio() }})
                as penalizer_coef
        from fitted_params
        cross join freshness
    )
{%- else %}

    parameters as (
        {%- for fit_model, names in [
            ('bg_nbd', ['r', 'alpha', 'a', 'b']),
            ('gamma_gamma', ['p', 'q', 'v'])] %}
            {%- for name in names + ['log_likelihood', 'customers'] %}
                select
                    '{{ fit_model }}' as model,  -- noqa: RF04
                    '{{ name }}' as parameter
                {% if not loop.last %}union all{% endif %}
            {%- endfor %}
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ),

    final as (
        select
            parameters.model,
            parameters.parameter,
            cast(
                case
                    when parameters.parameter != 'customers' then null
                    when parameters.model = 'bg_nbd' then current_keys.customers
                    else current_keys.repeat_customers
                end as {{ type_ratio() }}
            ) as value,
            'not_fitted' as fit_status,
            cast(current_keys.observation_end as date) as observation_end,
            cast(settings.time_unit_days as integer) as time_unit_days,
            cast(settings.penalizer_coef as {{ type_ratio() }})
                as penalizer_coef
        from parameters
        cross join current_keys
        cross join settings
    )
{%- endif %}

select * from final
