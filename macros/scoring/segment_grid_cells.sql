{% macro segment_grid_cells() %}
    {#- Every cell of the segment map's 5 x 5 grid of segment recency score against segment FM score, one row each. -#}
    {% for recency_score in range(1, 6) %}
    {% for frequency_monetary_score in range(1, 6) %}
    select {{ recency_score }} as recency_score, {{ frequency_monetary_score }} as frequency_monetary_score
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endmacro %}
