-- Every age falls in at most one band of the age_bands seed, so each customer has one age band in the
-- fairness audit. Returns the pairs of bands that share an age.
with

age_bands as (
    select * from {{ ref('age_bands') }}
),

overlapping_bands as (
    select
        earlier_band.age_band,
        later_band.age_band as overlapping_age_band
    from age_bands as earlier_band
    inner join age_bands as later_band
        on earlier_band.age_band < later_band.age_band
        and earlier_band.age_min <= later_band.age_max
        and earlier_band.age_max >= later_band.age_min
)

select * from overlapping_bands
