{% macro cross_sell_settings() %}
    {#- The validated cross-sell vars, keyed without their 'cross_sell_' prefix. -#}
    {{- return({
        'min_frequency_monetary_score': scorehouse.numeric_var(
            'cross_sell_min_frequency_monetary_score', 1, 5, whole_number=true
        ),
        'max_categories': scorehouse.numeric_var('cross_sell_max_categories', 1, 1000, whole_number=true),
        'recommendation_count': scorehouse.numeric_var('cross_sell_recommendation_count', 1, 100, whole_number=true),
    }) -}}
{% endmacro %}
