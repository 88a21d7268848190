{% macro max_order_amount() %}
    {#- The largest plausible order amount: staging quarantines every order above it as 'amount above
        max_order_amount', a check that stops the delivery by default (seed row_checks). -#}
    {{- return(scorehouse.numeric_var('max_order_amount', 0, 1000000000000)) -}}
{% endmacro %}
