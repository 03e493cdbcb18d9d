-- Phase 2 problem 2, school attendance: as Phase 1 criterion 2 (a member of compulsory
-- school age permanently excluded, with $fixed_exclusions_min or more fixed exclusions, in
-- PRU / alternative provision / not on roll, or with unauthorised absence
-- >= $absence_threshold, over the last $education_terms terms).
-- Wording, source and cases: school_attendance.yml. Grain: one row per family in families_base.

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
    from int_family_events__education as e
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
        'school_attendance' as criterion,
        ev.family_id is not null as met,
        coalesce(ev.evidence, []) as evidence
    from families as f
    left join evidence as ev on ev.family_id = f.family_id
)

select * from final
