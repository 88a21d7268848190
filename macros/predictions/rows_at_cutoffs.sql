{% macro rows_at_cutoffs(relation, cutoffs, condition) %}
    {#- The rows of `relation` at each of `cutoffs` (from prediction_cutoffs()) that meet `condition`, with the
        cutoff's columns added (cutoff_role, cutoff_date, window_start_date, outcome_end_date, which
        `condition` may read). One filtered scan per cutoff rather than a join on a date inequality: at 10M
        customers DuckDB misjudged the size of an incremental run's filtered orders and held them whole in
        memory as one side of such a join, running out of memory at any limit. -#}
    {%- for cutoff in cutoffs %}
    select * from (
        select
            {{ relation }}.*,
            '{{ cutoff.role }}' as cutoff_role,
            {{ date_literal(cutoff.cutoff_date) }} as cutoff_date,
            {{ date_literal(cutoff.window_start_date) }} as window_start_date,
            {% if cutoff.outcome_end_date -%}
            {{ date_literal(cutoff.outcome_end_date) }}
            {%- else -%}
            cast(null as date)
            {%- endif %} as outcome_end_date
        from {{ relation }}
    ) as at_{{ cutoff.role }}_cutoff
    where {{ condition }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endmacro %}
