{#
    NPS formulas of METRICS.md "NPS": the class of a score, the score of a
    period, and whether promoters come back. One home each.
#}

{# promoter 9-10, passive 7-8, detractor 0-6; NULL for a NULL score. #}
{% macro nps_class(score) -%}
    case
        when {{ score }} >= 9 then 'promoter'
        when {{ score }} >= 7 then 'passive'
        when {{ score }} >= 0 then 'detractor'
    end
{%- endmacro %}


{#
    nps = 100 x (promoters - detractors) / respondents, in [-100, 100] (not a
    fraction); NULL without respondents.
#}
{% macro nps_score(promoters, detractors, respondents) -%}
    {{ safe_ratio('100 * (' ~ promoters ~ ' - ' ~ detractors ~ ')', respondents) }}
{%- endmacro %}


{# promoter_share and detractor_share: class respondents / respondents. #}
{% macro nps_share(class_respondents, respondents) -%}
    {{ safe_ratio(class_respondents, respondents) }}
{%- endmacro %}


{#
    nps_retention: a (latest-in-month) response on response_date is eligible
    when response_date + nps_repurchase_window_days <= as_of_date; it
    repurchased when a purchase day falls in (response_date, response_date +
    window].
#}
{% macro nps_repurchase_is_eligible(response_date, as_of_date) -%}
    ({{ add_days(response_date, get_nps_repurchase_window_days()) }}
        <= {{ as_of_date }})
{%- endmacro %}

{% macro is_nps_repurchase(purchase_date, response_date) -%}
    ({{ purchase_date }} > {{ response_date }}
        and {{ purchase_date }}
        <= {{ add_days(response_date, get_nps_repurchase_window_days()) }})
{%- endmacro %}

{% macro nps_repurchase_rate(repurchased, eligible_respondents) -%}
    {{ safe_ratio(repurchased, eligible_respondents) }}
{%- endmacro %}
