-- Phase 1 criterion 2, education: a member of compulsory school age who, across the last
-- $education_terms consecutive terms, was permanently excluded, had $fixed_exclusions_min or
-- more fixed exclusions, was in a PRU / alternative provision / not on roll in the most
-- recent term, or had unauthorised absence >= $absence_threshold of possible sessions.
-- The conditions are worked out in int_family_events__education.
-- Wording, source and cases: education.yml. Grain: one row per family in families_base.

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
        'education' as criterion,
        ev.family_id is not null as met,
        coalesce(ev.evidence, []) as evidence
    from families as f
    left join evidence as ev on ev.family_id = f.family_id
)

select * from final
