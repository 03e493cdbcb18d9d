-- Phase 1 criterion 3, work: an adult member on an out-of-work benefit
-- ($out_of_work_benefits) with a spell open on T. Spells come from
-- int_family_events__out_of_work.
-- Wording, source and cases: work.yml. Grain: one row per family in families_base.

with

families as (
    select
        fb.family_id
    from families_base as fb
),

items as (
    select
        e.family_id,
        e.source,
        e.record_id,
        e.person_id,
        e.event_date,
        e.value
    from int_family_events__out_of_work as e
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
            order by i.event_date, i.source, i.record_id
        ) as evidence
    from items as i
    group by i.family_id
),

final as (
    select
        f.family_id,
        'work' as criterion,
        ev.family_id is not null as met,
        coalesce(ev.evidence, []) as evidence
    from families as f
    left join evidence as ev on ev.family_id = f.family_id
)

select * from final
