{% test expression_is_true(model, expression, column_name=none) %}
{#- Fails on every row where the boolean SQL expression is not true (null counts as not true). -#}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}
