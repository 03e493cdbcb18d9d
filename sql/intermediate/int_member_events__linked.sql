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
    select
        'police' as source,
        p.record_id,
        p.event_type,
        p.event_date,
        cast(null as date) as end_date,
        p.event_date as age_date
    from stg_police as p

    union all

    select
        'youth_offending' as source,
        y.record_id,
        y.outcome as event_type,
        y.outcome_date as event_date,
        cast(null as date) as end_date,
        y.offence_date as age_date
    from stg_youth_offending as y

    union all

    select
        'school_exclusions' as source,
        x.record_id,
        x.exclusion_type as event_type,
        x.exclusion_date as event_date,
        cast(null as date) as end_date,
        x.exclusion_date as age_date
    from stg_school_exclusions as x

    union all

    select
        'dwp_benefits' as source,
        b.record_id,
        b.benefit as event_type,
        b.spell_start as event_date,
        b.spell_end as end_date,
        b.spell_start as age_date
    from stg_dwp_benefits as b

    union all

    select
        'social_care' as source,
        s.record_id,
        s.status as event_type,
        s.start_date as event_date,
        s.end_date,
        s.start_date as age_date
    from stg_social_care as s

    union all

    select
        'health' as source,
        h.record_id,
        h.issue as event_type,
        h.recorded_date as event_date,
        cast(null as date) as end_date,
        h.recorded_date as age_date
    from stg_health as h
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
