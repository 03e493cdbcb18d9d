-- The crime/ASB events that can meet a family's crime_asb criterion, before any window:
-- the rules (phase1 and phase2 crime_asb; phase1 local_discretion's adult_offending) choose
-- the kinds and the months, counted back from as_of, the date the family is judged on
-- (int_families__as_of).
--   minor_offence  a proven offence (youth_offending) by a member under $adult_age on offence_date
--   asb_order      a member's police event of a type in $asb_order_types
--   housing_asb    an intervention in $housing_asb_types on a tenancy open on as_of that lists
--                  a member (a stg_housing row on it, open on as_of, linked to a member)
--   adult_offence  a member's police adult_offence while aged $adult_age or more
-- Minor offences and housing ASB are selected in int_family_events__offences_housing_asb,
-- shared with the crime/ASB result; only the open tenancy is this criterion's own.
-- Grain: one row per family x input row.

with

member_events as (
    select
        me.family_id,
        fd.as_of,
        me.person_id,
        me.source,
        me.record_id,
        me.event_type,
        me.event_date,
        me.age_at_event
    from int_member_events__linked as me
    inner join int_families__as_of as fd on fd.family_id = me.family_id
),

asb_orders as (
    select
        me.*,
        'asb_order' as kind,
        me.event_type as value
    from member_events as me
    where me.source = 'police'
      and list_contains($asb_order_types, me.event_type)
),

adult_offences as (
    select
        me.*,
        'adult_offence' as kind,
        me.event_type as value
    from member_events as me
    where me.source = 'police'
      and me.event_type = 'adult_offence'
      and me.age_at_event >= $adult_age
),

offences_housing_asb as (
    select
        e.*,
        fd.as_of
    from int_family_events__offences_housing_asb as e
    inner join int_families__as_of as fd on fd.family_id = e.family_id
    where e.kind = 'minor_offence'
       or len(list_filter(e.tenancy_periods, lambda t: t.tenancy_start <= fd.as_of
                                                   and (t.tenancy_end is null or t.tenancy_end >= fd.as_of))) > 0
),

events as (
    select * from offences_housing_asb
    union all by name select * from asb_orders
    union all by name select * from adult_offences
),

final as (
    select
        e.family_id,
        e.as_of,
        e.kind,
        e.source,
        e.record_id,
        e.person_id,
        e.event_date,
        e.value
    from events as e
)

select * from final
