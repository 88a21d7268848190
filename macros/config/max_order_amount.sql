{% macro max_order_amount() %}
    {#- The largest plausible order amount: the raw gate stops a delivery above it (unless
        raw_row_defect_tolerance lets such rows through) and staging quarantines every order above it, so a
        row the gate lets through is never scored. -#}
    {{- return(scorehouse.numeric_var('max_order_amount', 0, 1000000000000)) -}}
{% endmacro %}
