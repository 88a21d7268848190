-- Every customer scored on the run's as-of date next to their segment and composite score in the previous
-- snapshot (the latest earlier as-of date in the history), so BI can ask who left a segment since then.
{%- set as_of = date_literal(as_of_date()) %}

with

score_history as (
    select * from {{ ref('fct_customer_score_history') }}
),

current_snapshot as (
    select * from score_history
    where as_of_date = {{ as_of }}
),

previous_snapshot_date as (
    select max(as_of_date) as previous_as_of_date from score_history
    where as_of_date < {{ as_of }}
),

previous_snapshot as (
    select score_history.*
    from score_history
    inner join previous_snapshot_date
        on score_history.as_of_date = previous_snapshot_date.previous_as_of_date
),

compared as (
    select
        ----------  ids
        current_snapshot.customer_id,
        current_snapshot.as_of_date,

        ----------  now
        current_snapshot.segment_name,
        current_snapshot.composite_score,

        ----------  previous snapshot
        previous_snapshot_date.previous_as_of_date,
        previous_snapshot.segment_name as previous_segment_name,
        previous_snapshot.composite_score as previous_composite_score,

        ----------  change
        (
            previous_snapshot_date.previous_as_of_date is not null
            and previous_snapshot.customer_id is null
        ) as is_new_since_previous_snapshot,
        coalesce(current_snapshot.segment_name <> previous_snapshot.segment_name, false) as has_changed_segment,
        current_snapshot.composite_score - previous_snapshot.composite_score as composite_score_change

    from current_snapshot
    cross join previous_snapshot_date
    left join previous_snapshot
        on current_snapshot.customer_id = previous_snapshot.customer_id
)

select * from compared
