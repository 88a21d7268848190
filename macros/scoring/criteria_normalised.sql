{% macro criteria_normalised(criteria, values_relation, key_columns) %}
    {#- SQL of one row per row of `values_relation` and criterion of `criteria` (macro score_criteria): the
        `key_columns`, criterion, criterion_label, raw_value, normalised_value (0 = worst, 1 = best), weight
        and is_from_score_criteria. `values_relation` holds one row per buyer with criterion_<n>_value for
        the n-th criterion, true and false as 1 and 0; bucket and percentile_rank rank the buyers it holds.

        - bucket: (score - 1) / (rfm_bucket_count - 1) for the score of macro value_group_scores, the rule of
          R, F and M (ties_share_score): equal values share a score.
        - percentile_rank: the share of the buyers ranked below the middle of the value's tie group, (s - 1 +
          e) / 2N for the sorted positions s..e it holds among the N buyers with a value: equal values share
          it, one value alone is 0.5.
        - min_max: (value - lower_bound) / (upper_bound - lower_bound), clamped to 0..1.
        - boolean: the 1 or 0 itself.
        lower_is_better ranks the other way (1 - the value for min_max and boolean); a null value counts as
        the criterion's missing_value_counts_as. -#}
    {%- set buckets = scorehouse.numeric_var('rfm_bucket_count', 2, 100, whole_number=true) -%}
    {%- for criterion in criteria %}
    {%- set value = 'criterion_' ~ loop.index ~ '_value' %}
    {%- set higher_is_better = criterion.direction == 'higher_is_better' %}
    {%- set worst_first = 'asc' if higher_is_better else 'desc' %}
    {%- set raw = 'criterion_values.' ~ value %}
    select
        {%- for column in key_columns %}
        criterion_values.{{ column }},
        {%- endfor %}
        '{{ criterion.criterion }}' as criterion,
        '{{ criterion.label }}' as criterion_label,
        {{ raw }} as raw_value,
        cast(case
            when {{ raw }} is null then {{ criterion.missing_value_counts_as }}
            {%- if criterion.normalisation == 'bucket' %}
            else cast(ranked.value_score - 1 as {{ scorehouse.type_double() }}) / {{ buckets - 1 }}
            {%- elif criterion.normalisation == 'percentile_rank' %}
            else ranked.value_share_below
            {%- elif criterion.normalisation == 'min_max' %}
            {%- set lower_to_upper = '(' ~ raw ~ ' - ' ~ criterion.lower_bound ~ ') / '
                ~ (criterion.upper_bound - criterion.lower_bound) %}
            when {{ raw }} <= {{ criterion.lower_bound }} then {{ 0 if higher_is_better else 1 }}
            when {{ raw }} >= {{ criterion.upper_bound }} then {{ 1 if higher_is_better else 0 }}
            else {{ lower_to_upper if higher_is_better else '1 - ' ~ lower_to_upper }}
            {%- else %}
            else {{ raw if higher_is_better else '1 - ' ~ raw }}
            {%- endif %}
        end as {{ scorehouse.type_double() }}) as normalised_value,
        cast('{{ criterion.weight }}' as decimal(18, 6)) as weight,
        {{ 'true' if criterion.from_seed else 'false' }} as is_from_score_criteria
    from {{ values_relation }} as criterion_values
    {%- if criterion.normalisation == 'bucket' %}
    left join (
        {{ scorehouse.value_group_scores(values_relation, value, worst_first, buckets) }}
    ) as ranked
        on {{ raw }} = ranked.{{ value }}
    {%- elif criterion.normalisation == 'percentile_rank' %}
    left join (
        select
            {{ value }},
            cast(max(position_sum) as {{ scorehouse.type_double() }}) / (2 * max(ranked_count)) as value_share_below
        from (
            select
                {{ value }},
                {{ scorehouse.tie_group_position_sum(value ~ ' ' ~ worst_first) }} as position_sum,
                count(*) over () as ranked_count
            from {{ values_relation }}
            where {{ value }} is not null
        ) as positioned
        group by {{ value }}
    ) as ranked
        on {{ raw }} = ranked.{{ value }}
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    {#- parse time: no criteria are read yet -#}
    select
        {%- for column in key_columns %}
        {{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as criterion,
        cast(null as {{ dbt.type_string() }}) as criterion_label,
        cast(null as {{ scorehouse.type_double() }}) as raw_value,
        cast(null as {{ scorehouse.type_double() }}) as normalised_value,
        cast(null as decimal(18, 6)) as weight,
        false as is_from_score_criteria
    from {{ values_relation }}
    where false
    {%- endfor %}
{%- endmacro %}
