-- Phase 2 problem 1, crime/ASB: as Phase 1 criterion 1 (a minor's proven offence, a
-- member's ASB order/injunction/contract, a housing ASB intervention on a tenancy the family
-- lives in) plus an adult member's police adult_offence, in the last $window_months months.
-- Wording, source and cases: crime_asb.yml. Grain: one row per family in families_base.

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
        e.family_id,
        e.source,
        e.record_id,
        e.person_id,
        e.event_date,
        e.value
    from int_family_events__crime_asb as e
    cross join window_bounds as w
    where e.kind in ('minor_offence', 'asb_order', 'housing_asb', 'adult_offence')
      and e.event_date > w.opens_after
      and e.event_date <= $as_of
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
        'crime_asb' as criterion,
        ev.family_id is not null as met,
        coalesce(ev.evidence, []) as evidence
    from families as f
    left join evidence as ev on ev.family_id = f.family_id
)

select * from final
