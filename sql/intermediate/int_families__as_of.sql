-- The families the rules judge, each with the date it is judged on. In a monthly run that is
-- every family in families_base, as of $as_of. A point-in-time evaluation
-- (cohort.programme.as_at) fills this table itself: the engaged families, each as of its
-- attachment date. Every intermediate that depends on the date, and every rule, reads the
-- date from here, so the same SQL serves T and any earlier date.
-- Grain: one row per family.

with

final as (
    select
        fb.family_id,
        cast($as_of as date) as as_of
    from families_base as fb
)

select * from final
