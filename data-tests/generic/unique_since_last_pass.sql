{% test unique_since_last_pass(model, column_name) %}
{#-
    dbt's `unique` for a staging model whose rows carry checked_at (when staging last checked them): once it
    has passed, it looks only at the values of rows checked since its last pass, counted over all rows. A row
    only changes when staging checks it again, so a value can only repeat with a newly checked row in it;
    at 100M orders this takes seconds instead of grouping every order. Before its first pass and after a
    full rebuild it reads every row; after a failure, which records no pass, it reads again every row
    checked since the last pass.
-#}
{%- set last_pass = scorehouse.last_pass_of_this_test(model) %}
{%- if last_pass is none %}
select {{ column_name }} as repeated_value, count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{%- else %}
with

values_checked_since_last_pass as (
    select distinct {{ column_name }} as checked_value
    from {{ model }}
    where checked_at > {{ last_pass }}
        and {{ column_name }} is not null
)

select all_rows.{{ column_name }} as repeated_value, count(*) as occurrences
from {{ model }} as all_rows
inner join values_checked_since_last_pass
    on all_rows.{{ column_name }} = values_checked_since_last_pass.checked_value
group by all_rows.{{ column_name }}
having count(*) > 1
{%- endif %}
{% endtest %}
