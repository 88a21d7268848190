-- Every buyer's criterion points add up to their composite score, and every buyer has points: the
-- explanation of a score is the score. Points are exact decimals; the composite of the default R, F and M
-- weighting is computed from the scores themselves, hence the tolerance.
with

customer_scores as (
    select * from {{ ref('fct_customer_scores') }}
),

score_contributions as (
    select * from {{ ref('fct_customer_score_contributions') }}
),

points_summed as (
    select
        customer_id,
        sum(points) as total_points
    from score_contributions
    group by customer_id
)

select
    customer_scores.customer_id,
    customer_scores.composite_score,
    points_summed.total_points
from customer_scores
left join points_summed
    on customer_scores.customer_id = points_summed.customer_id
where customer_scores.has_purchased
    and (
        points_summed.total_points is null
        or abs(customer_scores.composite_score - cast(points_summed.total_points as {{ type_double() }})) > 1e-9
    )
