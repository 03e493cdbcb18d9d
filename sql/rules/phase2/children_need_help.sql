-- Phase 2 problem 3, children who need help: a child member (under $adult_age at T) with
-- a child_in_need, child_protection_plan or looked_after episode open on T or at some time
-- in the last $window_months months: started on or before T and not ended before the
-- window opens. An absent social_care extract finds nothing, so the problem is 0.
-- Wording, source and cases: children_need_help.yml. Grain: one row per family in families_base.

with

families as (
    select
        fb.family_id
    from families_base as fb
),

window_bounds as (
    select
        cast($as_of - to_months($window_months) as date) as opens_after
),

items as (
    select
        me.family_id,
        me.source,
        me.record_id,
        me.person_id,
        me.event_date,
        me.event_type || case when me.end_date is null then ' (open)'
            else ' (ended ' || strftime(me.end_date, '%Y-%m-%d') || ')' end as value
    from int_member_events__linked as me
    inner join int_household_members__aged as m
        on m.family_id = me.family_id and m.person_id = me.person_id
    cross join window_bounds as w
    where me.source = 'social_care'
      and me.event_type in ('child_in_need', 'child_protection_plan', 'looked_after')
      and m.is_child
      and me.event_date <= $as_of
      and (me.end_date is null or me.end_date > w.opens_after)
),

evidence as (
    select
        i.family_id,
        list(
            {
                'source': i.source,
                'record_id': i.record_id,
                'person_id': i.person_id,
                'event_date': i.event_date,
                'value': i.value
            }
            order by i.event_date, i.source, i.record_id, i.value
        ) as evidence
    from items as i
    group by i.family_id
),

final as (
    select
        f.family_id,
        'children_need_help' as criterion,
        ev.family_id is not null as met,
        coalesce(ev.evidence, []) as evidence
    from families as f
    left join evidence as ev on ev.family_id = f.family_id
)

select * from final
