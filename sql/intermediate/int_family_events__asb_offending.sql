-- The ASB events and minors' proven offences of programme families, marked with the
-- results period they fall in (rules.md "Phase 1 results"; periods from
-- int_family_attachment, both read as (start, end]):
--   asb_event      a member's police row of a type in $asb_event_types, or a housing
--                  intervention of a type in $housing_asb_types on a tenancy a member is
--                  listed on (any stg_housing row of the tenancy_ref linked to a member),
--                  counted once per family
--   minor_offence  a youth_offending row of a member under $adult_age on offence_date,
--                  dated by outcome_date (the date proven)
-- Minor offences and housing ASB are selected in int_family_events__offences_housing_asb,
-- shared with the crime/ASB criterion (which asks for the tenancy open on its date; this
-- result does not).
-- When attachment is less than $outcome_months months before T the periods overlap, and an
-- event in both is in both. Grain: one row per family x input row in either period.

with

attachment as (
    select
        fa.family_id,
        fa.baseline_after,
        fa.attached_on,
        fa.outcome_after
    from int_family_attachment as fa
),

police_asb as (
    select
        me.*,
        'asb_event' as kind,
        me.event_type as value
    from int_member_events__linked as me
    where me.source = 'police'
      and list_contains($asb_event_types, me.event_type)
),

offences_housing_asb as (
    select e.* replace (if(e.kind = 'housing_asb', 'asb_event', e.kind) as kind)
    from int_family_events__offences_housing_asb as e
),

events as (
    select * from police_asb
    union all by name select * from offences_housing_asb
),

placed as (
    select
        e.family_id,
        e.kind,
        e.source,
        e.record_id,
        e.person_id,
        e.event_date,
        e.value,
        e.event_date > fa.baseline_after and e.event_date <= fa.attached_on as in_baseline,
        e.event_date > fa.outcome_after and e.event_date <= $as_of as in_outcome
    from events as e
    inner join attachment as fa on fa.family_id = e.family_id
),

final as (
    select p.*
    from placed as p
    where p.in_baseline or p.in_outcome
)

select * from final
