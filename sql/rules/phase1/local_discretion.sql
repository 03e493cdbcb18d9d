-- Phase 1 local discretion: any indicator switched on in $discretion_indicators.
--   domestic_abuse         a member's police domestic_abuse event in the window
--   substance_misuse       a member's health drug_misuse / alcohol_misuse issue in the window
--   child_protection_plan  a child member (under $adult_age on D) with a child_protection_plan
--                          episode open on D or at some time in the window
--   adult_offending        a member's police adult_offence, aged $adult_age or more, in the window
--                          (int_family_events__crime_asb's adult_offence, as phase 2 counts it)
--   police_callouts        $police_callouts_min or more police call_out / arrest rows of members
--                          in the window (a row is one person involved in one event)
--   health_problems        any health issue of a member in the window
-- The window is the last $discretion_window_months months, (D - N months, D], where D is the
-- date the family is judged on (T in a monthly run). Indicators fed by an absent optional
-- extract (health, social_care) find nothing, so they are 0 (the families mart says which:
-- local_discretion.yml `indicators`).
-- Wording, source and cases: local_discretion.yml. Items only: criterion_shape.sql adds the rest.

with

window_bounds as (
    select
        fd.family_id,
        fd.as_of,
        cast(fd.as_of - to_months($discretion_window_months) as date) as opens_after
    from int_families__as_of as fd
),

windowed_events as (
    select
        me.family_id,
        me.person_id,
        me.source,
        me.record_id,
        me.event_type,
        me.event_date
    from int_member_events__linked as me
    inner join window_bounds as w on w.family_id = me.family_id
    where me.event_date > w.opens_after
      and me.event_date <= w.as_of
),

domestic_abuse as (
    select
        we.*,
        'domestic_abuse' as value
    from windowed_events as we
    where list_contains($discretion_indicators, 'domestic_abuse')
      and we.source = 'police'
      and we.event_type = 'domestic_abuse'
),

substance_misuse as (
    select
        we.*,
        'substance_misuse: ' || we.event_type as value
    from windowed_events as we
    where list_contains($discretion_indicators, 'substance_misuse')
      and we.source = 'health'
      and list_contains($substance_misuse_issues, we.event_type)
),

child_protection_plan as (
    select
        me.*,
        'child_protection_plan' || case when me.end_date is null then ' (open)'
            else ' (ended ' || strftime(me.end_date, '%Y-%m-%d') || ')' end as value
    from int_member_events__linked as me
    inner join int_household_members__aged as m
        on m.family_id = me.family_id and m.person_id = me.person_id
    inner join window_bounds as w on w.family_id = me.family_id
    where list_contains($discretion_indicators, 'child_protection_plan')
      and me.source = 'social_care'
      and me.event_type = 'child_protection_plan'
      and m.is_child
      and me.event_date <= w.as_of
      and (me.end_date is null or me.end_date > w.opens_after)
),

adult_offending as (
    select
        e.family_id,
        e.person_id,
        e.source,
        e.record_id,
        e.event_date,
        'adult_offending: adult_offence' as value
    from int_family_events__crime_asb as e
    inner join window_bounds as w on w.family_id = e.family_id
    where list_contains($discretion_indicators, 'adult_offending')
      and e.kind = 'adult_offence'
      and e.event_date > w.opens_after
      and e.event_date <= w.as_of
),

callouts_counted as (
    select
        we.*,
        count(*) over (partition by we.family_id) as family_callouts
    from windowed_events as we
    where list_contains($discretion_indicators, 'police_callouts')
      and we.source = 'police'
      and list_contains($police_callout_types, we.event_type)
),

police_callouts as (
    select
        cc.*,
        format('police_callouts: {} ({} call-outs/arrests in the window)',
            cc.event_type, cc.family_callouts) as value
    from callouts_counted as cc
    where cc.family_callouts >= $police_callouts_min
),

health_problems as (
    select
        we.*,
        'health_problems: ' || we.event_type as value
    from windowed_events as we
    where list_contains($discretion_indicators, 'health_problems')
      and we.source = 'health'
),

final as (
    select * from domestic_abuse
    union all by name select * from substance_misuse
    union all by name select * from child_protection_plan
    union all by name select * from adult_offending
    union all by name select * from police_callouts
    union all by name select * from health_problems
)

select * from final
