{#
    The statistics of METRICS.md "Activation drivers" and "Experiments", one
    home each. Every macro takes SQL expressions and returns a SQL
    expression of type_ratio() (double precision); none raises: an undefined
    statistic is NULL.

    The normal CDF is the only engine-facing piece (dispatched). The default
    is the Zelen & Severo polynomial (Abramowitz & Stegun 26.2.17), absolute
    error below 7.5e-8, written with exp, sqrt and arithmetic only, so
    DuckDB, Postgres and Spark compute the same digits. tests/dbt/
    test_statistics_macros.py checks every macro against scipy.stats.
#}

{# The 0.975 quantile of the standard normal: 95% two-sided intervals. #}
{% macro z_975() -%}
    1.959963984540054
{%- endmacro %}


{# Phi(x), the standard normal CDF; NULL for NULL. #}
{% macro normal_cdf(x) -%}
    {{ return(adapter.dispatch('normal_cdf', 'retention')(x)) }}
{%- endmacro %}

{#
    Q(a) = 1 - Phi(a) for a = |x|, then Phi(x) = 1 - Q(a) for x > 0 and Q(a)
    for x <= 0 (the small tail is computed directly, not as 1 - something).
    x = 0 takes Q(0) = 0.4999999995, not 1 - Q(0), so a two-sided p-value
    2 x Phi(-|z|) of z = 0 is 0.999999999, never above 1.
    |x| is capped at 37 (Q(37) < 1e-299), so exp never underflows: Postgres
    raises on an underflowing exp instead of returning 0.
#}
{% macro default__normal_cdf(x) -%}
    {%- set a -%}
        least(abs(cast({{ x }} as {{ type_ratio() }})), 37.0)
    {%- endset -%}
    {%- set t -%}
        (1.0 / (1.0 + 0.2316419 * {{ a }}))
    {%- endset -%}
    {%- set upper_tail -%}
        (
            exp(-0.5 * {{ a }} * {{ a }}) / sqrt(2.0 * pi())
            * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782 + {{ t }}
                * (1.781477937 + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429))))
        )
    {%- endset -%}
    case
        when {{ x }} is null then null
        when {{ x }} > 0 then 1.0 - {{ upper_tail }}
        else {{ upper_tail }}
    end
{%- endmacro %}


{# Two-sided p-value of a standard normal statistic: 2 x Phi(-|z|). #}
{% macro normal_two_sided_p_value(z) -%}
    2.0 * {{ normal_cdf('-abs(' ~ z ~ ')') }}
{%- endmacro %}


{#
    Two-proportion z statistic of successes_a / n_a against successes_b /
    n_b with the pooled rate: (p_a - p_b) / sqrt(p (1 - p) (1/n_a + 1/n_b)).
    NULL when a group is empty or the pooled rate is 0 or 1.
#}
{% macro two_proportion_z(successes_a, n_a, successes_b, n_b) -%}
    {%- set pooled -%}
        (cast({{ successes_a }} + {{ successes_b }} as {{ type_ratio() }})
            / ({{ n_a }} + {{ n_b }}))
    {%- endset -%}
    case
        when {{ n_a }} > 0 and {{ n_b }} > 0
            and {{ successes_a }} + {{ successes_b }} > 0
            and {{ successes_a }} + {{ successes_b }} < {{ n_a }} + {{ n_b }}
            then (
                cast({{ successes_a }} as {{ type_ratio() }}) / {{ n_a }}
                - cast({{ successes_b }} as {{ type_ratio() }}) / {{ n_b }}
            ) / sqrt(
                {{ pooled }} * (1.0 - {{ pooled }})
                * (1.0 / cast({{ n_a }} as {{ type_ratio() }})
                    + 1.0 / cast({{ n_b }} as {{ type_ratio() }}))
            )
    end
{%- endmacro %}


{# Two-sided p-value of the pooled two-proportion z-test (NULL as above). #}
{% macro two_proportion_p_value(successes_a, n_a, successes_b, n_b) -%}
    {{ normal_two_sided_p_value(two_proportion_z(successes_a, n_a, successes_b, n_b)) }}
{%- endmacro %}


{#
    Standard error of p_a - p_b without pooling (the Wald interval's):
    sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b). NULL when a group is
    empty; 0 when both rates are 0 or 1 (the interval collapses).
#}
{% macro wald_difference_se(successes_a, n_a, successes_b, n_b) -%}
    {%- set p_a -%}
        (cast({{ successes_a }} as {{ type_ratio() }}) / {{ n_a }})
    {%- endset -%}
    {%- set p_b -%}
        (cast({{ successes_b }} as {{ type_ratio() }}) / {{ n_b }})
    {%- endset -%}
    case
        when {{ n_a }} > 0 and {{ n_b }} > 0
            then sqrt(
                {{ p_a }} * (1.0 - {{ p_a }}) / {{ n_a }}
                + {{ p_b }} * (1.0 - {{ p_b }}) / {{ n_b }}
            )
    end
{%- endmacro %}


{#
    Standard error of mean_a - mean_b for Welch's t-test: sqrt(s_a^2 / n_a +
    s_b^2 / n_b) with the sample variances (n - 1 denominators). NULL when a
    group has fewer than 2 customers.
#}
{% macro welch_difference_se(variance_a, n_a, variance_b, n_b) -%}
    case
        when {{ n_a }} >= 2 and {{ n_b }} >= 2
            then sqrt(
                cast({{ variance_a }} as {{ type_ratio() }}) / {{ n_a }}
                + cast({{ variance_b }} as {{ type_ratio() }}) / {{ n_b }}
            )
    end
{%- endmacro %}


{#
    Two-sided p-value of a difference over its standard error with the
    normal approximation (Welch's t with many customers); NULL when the
    standard error is 0 or NULL.
#}
{% macro difference_p_value(difference, standard_error) -%}
    case
        when {{ standard_error }} > 0
            then {{ normal_two_sided_p_value('(' ~ difference ~ ') / (' ~ standard_error ~ ')') }}
    end
{%- endmacro %}


{# 95% interval bounds of an estimate: estimate -/+ z_975 x standard_error. #}
{% macro interval_low(estimate, standard_error) -%}
    ({{ estimate }}) - {{ z_975() }} * ({{ standard_error }})
{%- endmacro %}

{% macro interval_high(estimate, standard_error) -%}
    ({{ estimate }}) + {{ z_975() }} * ({{ standard_error }})
{%- endmacro %}


{#
    One variant's term of the sample-ratio-mismatch chi-square statistic
    against an equal split: (observed - expected)^2 / expected with expected
    = total / variants. Sum it over the variants of an experiment.
#}
{% macro equal_split_chi_square_term(observed, total, variants) -%}
    power(
        {{ observed }} - cast({{ total }} as {{ type_ratio() }}) / {{ variants }}, 2
    ) / (cast({{ total }} as {{ type_ratio() }}) / {{ variants }})
{%- endmacro %}


{#
    Upper-tail p-value of a chi-square statistic with degrees_of_freedom:
    exact through the normal CDF for 1 degree of freedom (2 x Phi(-sqrt(x))),
    the Wilson-Hilferty approximation beyond (METRICS.md "Experiments":
    (x / k)^(1/3) is close to normal with mean 1 - 2 / (9k) and variance
    2 / (9k)). NULL for fewer than 1 degree of freedom.
#}
{% macro chi_square_p_value(statistic, degrees_of_freedom) -%}
    {%- set k = 'cast(' ~ degrees_of_freedom ~ ' as ' ~ type_ratio() ~ ')' -%}
    {%- set wilson_hilferty_z -%}
        ((
            power(cast({{ statistic }} as {{ type_ratio() }}) / {{ k }}, 1.0 / cast(3 as {{ type_ratio() }}))
            - (1.0 - 2.0 / (9.0 * {{ k }}))
        ) / sqrt(2.0 / (9.0 * {{ k }})))
    {%- endset -%}
    case
        when {{ statistic }} is null or {{ degrees_of_freedom }} is null then null
        when {{ degrees_of_freedom }} < 1 then null
        when {{ degrees_of_freedom }} = 1
            then {{ normal_two_sided_p_value('sqrt(' ~ statistic ~ ')') }}
        else {{ normal_cdf('-' ~ wilson_hilferty_z) }}
    end
{%- endmacro %}
