{% macro segment_rectangle_contains(rectangle, recency_score, frequency_monetary_score) %}
    {#- Join condition: the cell (recency_score, frequency_monetary_score) of the segment map's 5 x 5 grid lies
        in the rectangle of a segment_rfm_map row (`rectangle` is its alias), both bounds included. -#}
    {{ recency_score }} >= {{ rectangle }}.recency_score_min
        and {{ recency_score }} <= {{ rectangle }}.recency_score_max
        and {{ frequency_monetary_score }} >= {{ rectangle }}.frequency_monetary_score_min
        and {{ frequency_monetary_score }} <= {{ rectangle }}.frequency_monetary_score_max
{%- endmacro %}
