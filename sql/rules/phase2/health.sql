-- Phase 2 problem 6, health: any health issue recorded for a member in the last
-- $window_months months before the date the family is judged on (T in a monthly run). An
-- absent health extract finds nothing, so the problem is 0.
-- Wording, source and cases: health.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select
        me.*,
        me.event_type as value
    from int_member_events__linked as me
    inner join int_families__as_of as fd on fd.family_id = me.family_id
    where me.source = 'health'
      and me.event_date > cast(fd.as_of - to_months($window_months) as date)
      and me.event_date <= fd.as_of
)

select * from final
