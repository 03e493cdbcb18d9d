-- The minors' proven offences and housing ASB of every family, before any date: the events
-- the crime/ASB criterion (int_family_events__crime_asb) and the crime/ASB result
-- (int_family_events__asb_offending) both count, selected here once.
--   minor_offence  a youth_offending row of a member under $adult_age on offence_date,
--                  dated by outcome_date (the date proven)
--   housing_asb    an intervention of a type in $housing_asb_types on a tenancy a member is
--                  listed on (any stg_housing row of the tenancy_ref linked to a member)
-- A housing_asb row carries the periods of those member rows (tenancy_periods): the
-- criterion counts it only when one is open on the date judged, the result whenever.
-- Grain: one row per family x input row.

with

minor_offences as (
    select
        me.family_id,
        'minor_offence' as kind,
        me.source,
        me.record_id,
        me.person_id,
        me.event_date,
        'proven offence (' || coalesce(me.event_type, 'outcome not given') || ')' as value
    from int_member_events__linked as me
    where me.source = 'youth_offending'
      and me.age_at_event < $adult_age
),

member_tenancies as (
    select
        lk.family_id,
        h.tenancy_ref,
        list(distinct {'tenancy_start': h.tenancy_start, 'tenancy_end': h.tenancy_end}) as tenancy_periods
    from stg_housing as h
    inner join int_person_links__members as lk
        on lk.source = 'housing' and lk.record_id = h.record_id
    group by lk.family_id, h.tenancy_ref
),

housing_asb as (
    select
        mt.family_id,
        'housing_asb' as kind,
        'housing_asb' as source,
        a.record_id,
        cast(null as varchar) as person_id,
        a.intervention_date as event_date,
        a.intervention || ' on tenancy ' || a.tenancy_ref as value,
        mt.tenancy_periods
    from stg_housing_asb as a
    inner join member_tenancies as mt on mt.tenancy_ref = a.tenancy_ref
    where list_contains($housing_asb_types, a.intervention)
),

final as (
    select * from minor_offences
    union all by name select * from housing_asb
)

select * from final
