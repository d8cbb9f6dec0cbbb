{#
    Activation drivers (METRICS.md "Activation drivers", CONTRACT.md
    section 7): the formulas of `activation_drivers`, one home each. The
    population is split twice: did(e) (the customer did event e on days
    0..activation_window_days after signup) and retained (a purchase day on
    days activation_window_days + 1 .. driver_outcome_days). The p-value is
    the pooled two-proportion z-test of macros/metrics/statistics.sql.
#}

{# Day 0 (signup day) through activation_window_days: the early window. #}
{% macro is_in_early_window(event_date, signup_date) -%}
    ({{ event_date }} >= {{ signup_date }}
        and {{ event_date }}
        <= {{ add_days(signup_date, get_activation_window_days()) }})
{%- endmacro %}


{# Days activation_window_days + 1 .. driver_outcome_days: the outcome window. #}
{% macro is_in_outcome_window(purchase_date, signup_date) -%}
    ({{ purchase_date }}
        >= {{ add_days(signup_date, get_activation_window_days() + 1) }}
        and {{ purchase_date }}
        <= {{ add_days(signup_date, get_driver_outcome_days()) }})
{%- endmacro %}


{# In the population once the outcome window is over by as_of_date. #}
{% macro is_driver_population(signup_date, as_of_date) -%}
    ({{ signup_date }} is not null
        and {{ add_days(signup_date, get_driver_outcome_days()) }}
        <= {{ as_of_date }})
{%- endmacro %}


{# did_share = did_customers / customers; NULL without customers. #}
{% macro did_share(did_customers, customers) -%}
    {{ safe_ratio(did_customers, customers) }}
{%- endmacro %}


{#
    retained_if_did = retained did customers / did customers, and
    retained_if_not the same over the others; NULL for an empty group.
#}
{% macro retained_share(retained_customers, group_customers) -%}
    {{ safe_ratio(retained_customers, group_customers) }}
{%- endmacro %}


{#
    retention_lift = retained_if_did / retained_if_not; NULL when
    retained_if_not is 0 or NULL (and when retained_if_did is NULL).
#}
{% macro retention_lift(retained_if_did, retained_if_not) -%}
    {{ safe_ratio(retained_if_did, retained_if_not) }}
{%- endmacro %}


{# retention_difference = retained_if_did - retained_if_not; NULL if either is. #}
{% macro retention_difference(retained_if_did, retained_if_not) -%}
    ({{ retained_if_did }} - {{ retained_if_not }})
{%- endmacro %}


{#
    phi: the Pearson correlation of the two 0/1 variables did(e) and
    retained over the population, from the 2 x 2 table (a = did and
    retained, b = did and not retained, c = not and retained, d = neither):
    (a d - b c) / sqrt((a + b) (c + d) (a + c) (b + d)). NULL when either
    variable is constant (a margin is 0). Computed in type_ratio() so the
    product of four counts cannot overflow an integer. Arguments: column
    names (each appears several times).
#}
{% macro phi_coefficient(did_retained, did_customers, not_retained, not_customers) -%}
    {%- set a = 'cast(' ~ did_retained ~ ' as ' ~ type_ratio() ~ ')' -%}
    {%- set n_did = 'cast(' ~ did_customers ~ ' as ' ~ type_ratio() ~ ')' -%}
    {%- set c = 'cast(' ~ not_retained ~ ' as ' ~ type_ratio() ~ ')' -%}
    {%- set n_not = 'cast(' ~ not_customers ~ ' as ' ~ type_ratio() ~ ')' -%}
    case
        when
            {{ did_customers }} > 0
            and {{ not_customers }} > 0
            and {{ did_retained }} + {{ not_retained }} > 0
            and {{ did_retained }} + {{ not_retained }}
            < {{ did_customers }} + {{ not_customers }}
            then
                ({{ a }} * {{ n_not }} - {{ c }} * {{ n_did }})
                / sqrt(
                    {{ n_did }} * {{ n_not }}
                    * ({{ a }} + {{ c }})
                    * ({{ n_did }} + {{ n_not }} - {{ a }} - {{ c }})
                )
    end
{%- endmacro %}
