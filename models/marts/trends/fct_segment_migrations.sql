-- How customers moved between segments from one as-of date to a later one, for every ordered pair among
-- the most recent `migration_snapshot_count` as-of dates up to the run's. All pairs grow quadratically with
-- the dates kept, hence the bound. A customer missing from one snapshot moves from `new` or to `gone`, so
-- each from date's counts add up to its customers and each to date's to its customers.
{%- set snapshot_count = numeric_var('migration_snapshot_count', 2, 100, whole_number=true) %}
{%- set placeholder = migration_placeholder_segments() %}

with

score_history as (
    select * from {{ ref('fct_customer_score_history') }}
),

history_as_of as (
    select * from score_history
    where as_of_date <= {{ date_literal(as_of_date()) }}
),

snapshot_dates as (
    select distinct as_of_date from history_as_of
),

snapshot_dates_ranked as (
    select
        as_of_date,
        -- dates are distinct, so the rank needs no tie-break
        row_number() over (
            order by as_of_date desc
        ) as recency_rank
    from snapshot_dates
),

recent_snapshot_dates as (
    select as_of_date from snapshot_dates_ranked
    where recency_rank <= {{ snapshot_count }}
),

date_pairs as (
    select
        from_dates.as_of_date as from_as_of_date,
        to_dates.as_of_date as to_as_of_date
    from recent_snapshot_dates as from_dates
    inner join recent_snapshot_dates as to_dates
        on from_dates.as_of_date < to_dates.as_of_date
),

from_snapshots as (
    select
        date_pairs.from_as_of_date,
        date_pairs.to_as_of_date,
        history_as_of.customer_id,
        history_as_of.segment_name,
        history_as_of.monetary
    from date_pairs
    inner join history_as_of
        on date_pairs.from_as_of_date = history_as_of.as_of_date
),

to_snapshots as (
    select
        date_pairs.from_as_of_date,
        date_pairs.to_as_of_date,
        history_as_of.customer_id,
        history_as_of.segment_name,
        history_as_of.monetary
    from date_pairs
    inner join history_as_of
        on date_pairs.to_as_of_date = history_as_of.as_of_date
),

customer_moves as (
    select
        coalesce(from_snapshots.from_as_of_date, to_snapshots.from_as_of_date) as from_as_of_date,
        coalesce(from_snapshots.to_as_of_date, to_snapshots.to_as_of_date) as to_as_of_date,
        coalesce(from_snapshots.segment_name, '{{ placeholder.before_first_snapshot }}') as from_segment_name,
        coalesce(to_snapshots.segment_name, '{{ placeholder.after_leaving }}') as to_segment_name,
        coalesce(from_snapshots.monetary, 0) as from_window_revenue,
        coalesce(to_snapshots.monetary, 0) as to_window_revenue
    from from_snapshots
    full outer join to_snapshots
        on from_snapshots.from_as_of_date = to_snapshots.from_as_of_date
        and from_snapshots.to_as_of_date = to_snapshots.to_as_of_date
        and from_snapshots.customer_id = to_snapshots.customer_id
),

migrations as (
    select
        from_as_of_date,
        to_as_of_date,
        from_segment_name,
        to_segment_name,
        count(*) as customer_count,
        sum(from_window_revenue) as from_window_revenue,
        sum(to_window_revenue) as to_window_revenue
    from customer_moves
    group by from_as_of_date, to_as_of_date, from_segment_name, to_segment_name
)

select * from migrations
