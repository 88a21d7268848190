{% test unique_since_last_pass(model, columns, stamp_column='checked_at') %}
{#-
    `unique_combination` for a model whose rows carry `stamp_column`, when the row was last written (by a
    staging check, or an incremental model recomputing its customer): once it has passed, it looks only at
    the combinations of rows written since its last pass, counted over all rows. A row changes only when it
    is written again, so a combination can only repeat with a newly written row in it; at 100M orders this
    takes seconds instead of grouping every order. Before its first pass and after a full rebuild it reads
    every row; after a failure, which records no pass, it reads again every row written since the last pass.
-#}
{%- set last_pass = scorehouse.last_pass_of_this_test(model, stamp_column) %}
{%- set key = columns | join(', ') %}
{%- if last_pass is none %}
{{ scorehouse.test_unique_combination(model, columns) }}
{%- else %}
with

combinations_written_since_last_pass as (
    select distinct {{ key }}
    from {{ model }}
    where {{ stamp_column }} > {{ last_pass }}
)

select {% for column in columns %}all_rows.{{ column }}, {% endfor %}count(*) as occurrences
from {{ model }} as all_rows
{# null-safe, as grouping is (a marker row's null category is a value here); this form runs only where
   passes are recorded, DuckDB and PostgreSQL, which both know `is not distinct from` #}
inner join combinations_written_since_last_pass as written
    on {% for column in columns %}all_rows.{{ column }} is not distinct from written.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}
group by {% for column in columns %}all_rows.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1
{%- endif %}
{% endtest %}
