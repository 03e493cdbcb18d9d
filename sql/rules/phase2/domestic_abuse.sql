-- Phase 2 problem 5, domestic abuse: a police domestic_abuse event involving a member in
-- the last $window_months months.
-- Wording, source and cases: domestic_abuse.yml. Grain: one row per family in families_base.

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
        me.event_type as value
    from int_member_events__linked as me
    cross join window_bounds as w
    where me.source = 'police'
      and me.event_type = 'domestic_abuse'
      and me.event_date > w.opens_after
      and me.event_date <= $as_of
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
        'domestic_abuse' as criterion,
        ev.family_id is not null as met,
        coalesce(ev.evidence, []) as evidence
    from families as f
    left join evidence as ev on ev.family_id = f.family_id
)

select * from final
