-- Phase 2 problem 5, domestic abuse: a police domestic_abuse event involving a member in
-- the last $window_months months before the date the family is judged on (T in a monthly run).
-- Wording, source and cases: domestic_abuse.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select
        me.*,
        me.event_type as value
    from int_member_events__linked as me
    inner join int_families__as_of as fd on fd.family_id = me.family_id
    where me.source = 'police'
      and me.event_type = 'domestic_abuse'
      and me.event_date > cast(fd.as_of - to_months($window_months) as date)
      and me.event_date <= fd.as_of
)

select * from final
