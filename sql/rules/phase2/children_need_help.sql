-- Phase 2 problem 3, children who need help: a child member (under $adult_age on D) with
-- a child_in_need, child_protection_plan or looked_after episode open on D or at some time
-- in the last $window_months months: started on or before D and not ended before the
-- window opens. D is the date the family is judged on (T in a monthly run). An absent
-- social_care extract finds nothing, so the problem is 0.
-- Wording, source and cases: children_need_help.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select
        me.*,
        me.event_type || case when me.end_date is null then ' (open)'
            else ' (ended ' || strftime(me.end_date, '%Y-%m-%d') || ')' end as value
    from int_member_events__linked as me
    inner join int_household_members__aged as m
        on m.family_id = me.family_id and m.person_id = me.person_id
    where me.source = 'social_care'
      and me.event_type in ('child_in_need', 'child_protection_plan', 'looked_after')
      and m.is_child
      and me.event_date <= m.as_of
      and (me.end_date is null or me.end_date > cast(m.as_of - to_months($window_months) as date))
)

select * from final
