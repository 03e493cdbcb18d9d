-- Family members' DWP employment and programme events (dwp_employment: employment_start,
-- employment_end, work_programme_start, esf_start), which int_member_events__linked leaves
-- out because no identification rule reads them. Read by the continuous_employment and
-- progress_to_work results. Grain: one row per linked dwp_employment row of a member.

with

members as (
    select
        lk.family_id,
        lk.person_id,
        lk.record_id
    from int_person_links__members as lk
    where lk.source = 'dwp_employment'
),

events as (
    select
        e.record_id,
        e.event,
        e.event_date
    from stg_dwp_employment as e
),

final as (
    select
        m.family_id,
        m.person_id,
        'dwp_employment' as source,
        ev.record_id,
        ev.event as event_type,
        ev.event_date
    from events as ev
    inner join members as m on m.record_id = ev.record_id
)

select * from final
