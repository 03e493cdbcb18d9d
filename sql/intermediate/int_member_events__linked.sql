-- Every dated event of a family member in one shape, so each rule filters one table.
-- event_type is the extract's own category (police event_type, youth outcome, exclusion
-- type, benefit, social care status, health issue); event_date is the date the rules
-- window on (youth offending: outcome_date, the date proven); spells carry end_date.
-- age_at_event is whole years from persons.dob at the date the rule ages someone on:
-- offence_date for youth offending (rules.md "minor's offence"), event_date otherwise.

with

members as (
    select
        lk.source,
        lk.record_id,
        lk.person_id,
        lk.family_id
    from int_person_links__members as lk
),

people as (
    select
        p.person_id,
        p.dob
    from persons as p
),

events as (
    -- one select per agency with an `event` in cohort/core/agencies.py
    {{ agency_events }}
),

final as (
    select
        m.family_id,
        m.person_id,
        e.source,
        e.record_id,
        e.event_type,
        e.event_date,
        e.end_date,
        year(e.age_date) - year(pp.dob)
            - case when month(e.age_date) * 100 + day(e.age_date)
                < month(pp.dob) * 100 + day(pp.dob) then 1 else 0 end as age_at_event
    from events as e
    inner join members as m on m.source = e.source and m.record_id = e.record_id
    left join people as pp on pp.person_id = m.person_id
)

select * from final
