{% macro value_group_scores(scored_relation, value_column, worst_first, buckets) %}
    {#-
        SQL of one 1..buckets score per distinct non-null `value_column` of `scored_relation` (columns
        value_column and value_score), the groups of equal values sorted worst first by `worst_first` (asc or
        desc). With G groups holding N rows:

        - G = 1: the middle score, floor(buckets / 2) + 1; nobody is better or worse than anybody.
        - 2 <= G < buckets: group k (1..G) scores 1 + round((k - 1) x (buckets - 1) / (G - 1)), halves up, so
          the scores still run from 1 to buckets, as evenly spaced as G allows.
        - G >= buckets: the lowest group scores 1, the highest buckets, and every score is used. A group in
          between first gets the bucket of its middle position: with the rows at sorted positions s..e it gets
          the bucket of (s - 1 + e) / 2 on a scale whose cuts are spread evenly over the positions. An end group
          larger than its even share (water-filling: N / buckets, then again over what is left when the other
          end's group was larger) keeps its score to itself, and the cuts spread evenly over the other rows.
          That bucket is raised to at least buckets - G + k, so the groups above can still reach the top
          score, and any score the ties would leave unused is taken by the next group up: the score becomes
          min over groups h <= k of (bucket_h + k - h), which steps by 0 or 1 from group to group.

        Only whole numbers meet in the divisions (integer_divide), so the scores are exact and the same on every
        warehouse.
    -#}
    select
        {{ value_column }},
        case
            when group_count = 1 then {{ buckets // 2 + 1 }}
            when group_count < {{ buckets }}
                then 1 + {{ scorehouse.integer_divide(
                    '2 * (group_rank - 1) * ' ~ (buckets - 1) ~ ' + group_count - 1', '2 * (group_count - 1)'
                ) }}
            else group_rank + min(reachable_bucket - group_rank) over (
                order by group_rank rows between unbounded preceding and current row
            )
        end as value_score
    from (
        select
            {{ value_column }},
            group_rank,
            group_count,
            case
                when group_rank = 1 then 1
                when group_rank = group_count then {{ buckets }}
                else greatest(
                    -- the bucket of the middle position s - 1 + e = 2e - size, on the cut line
                    lower_score + 1 + {{ scorehouse.integer_divide(
                        '(2 * position_end - customer_count - 2 * lower_position) * (upper_score - lower_score)',
                        '2 * (upper_position - lower_position)'
                    ) }},
                    {{ buckets }} - group_count + group_rank
                )
            end as reachable_bucket
        from (
            -- the cuts lie evenly from (lower_position, lower_score) to (upper_position, upper_score)
            select
                *,
                case when is_lowest_group_alone then lowest_group_size else 0 end as lower_position,
                case when is_lowest_group_alone then 1 else 0 end as lower_score,
                case when is_highest_group_alone then customer_total - highest_group_size else customer_total end
                    as upper_position,
                case when is_highest_group_alone then {{ buckets - 1 }} else {{ buckets }} end as upper_score
            from (
                select
                    *,
                    lowest_group_size * {{ buckets }} > customer_total
                        or (highest_group_size * {{ buckets }} > customer_total
                            and lowest_group_size * {{ buckets - 1 }} > customer_total - highest_group_size)
                        as is_lowest_group_alone,
                    highest_group_size * {{ buckets }} > customer_total
                        or (lowest_group_size * {{ buckets }} > customer_total
                            and highest_group_size * {{ buckets - 1 }} > customer_total - lowest_group_size)
                        as is_highest_group_alone
                from (
                    select
                        {{ value_column }},
                        customer_count,
                        -- the values are distinct, so the order has no ties
                        row_number() over (order by {{ value_column }} {{ worst_first }}) as group_rank,
                        cast(sum(customer_count) over (
                            order by {{ value_column }} {{ worst_first }} rows between unbounded preceding and current row
                        ) as {{ dbt.type_bigint() }}) as position_end,
                        count(*) over () as group_count,
                        cast(sum(customer_count) over () as {{ dbt.type_bigint() }}) as customer_total,
                        first_value(customer_count) over (
                            order by {{ value_column }} {{ worst_first }} rows between unbounded preceding and current row
                        ) as lowest_group_size,
                        first_value(customer_count) over (
                            order by {{ value_column }} {{ 'asc' if worst_first == 'desc' else 'desc' }}
                            rows between unbounded preceding and current row
                        ) as highest_group_size
                    from (
                        select
                            {{ value_column }},
                            count(*) as customer_count
                        from {{ scored_relation }}
                        where {{ value_column }} is not null
                        group by {{ value_column }}
                    ) as value_groups
                ) as group_positions
            ) as end_groups_weighed
        ) as cut_lines
    ) as groups_bucketed
{%- endmacro %}
