-- Family members with the ages the rules test, all from persons.dob (rules.md "Dates and
-- people"), on the date the family is judged (as_of, from int_families__as_of: T in a
-- monthly run): age in whole years at as_of, age on the 31 August before as_of (the start
-- of the academic year as_of falls in, so 31 Aug looks back a year), and the child /
-- adult / compulsory-school-age flags. A birthday counts from the day itself; a 29 Feb
-- birthday counts from 1 March in other years. Unknown dob gives null ages and false flags.
-- Members are the family's members at T (household_members), whatever the date.

with

members as (
    select
        hm.family_id,
        hm.person_id,
        hm.role
    from household_members as hm
),

people as (
    select
        p.person_id,
        p.dob
    from persons as p
),

dates as (
    select
        fd.family_id,
        fd.as_of,
        make_date(year(fd.as_of) - case when month(fd.as_of) >= 9 then 0 else 1 end, 8, 31)
            as last_31_aug
    from int_families__as_of as fd
),

aged as (
    select
        m.family_id,
        m.person_id,
        m.role,
        d.as_of,
        pp.dob,
        year(d.as_of) - year(pp.dob)
            - case when month(d.as_of) * 100 + day(d.as_of) < month(pp.dob) * 100 + day(pp.dob)
                then 1 else 0 end as age_at_as_of,
        year(d.last_31_aug) - year(pp.dob)
            - case when month(d.last_31_aug) * 100 + day(d.last_31_aug)
                < month(pp.dob) * 100 + day(pp.dob) then 1 else 0 end as age_on_last_31_aug
    from members as m
    inner join dates as d on d.family_id = m.family_id
    left join people as pp on pp.person_id = m.person_id
),

final as (
    select
        a.family_id,
        a.person_id,
        a.role,
        a.dob,
        a.age_at_as_of,
        a.age_on_last_31_aug,
        coalesce(a.age_at_as_of < $adult_age, false) as is_child,
        coalesce(a.age_at_as_of >= $adult_age, false) as is_adult,
        coalesce(
            a.age_at_as_of >= $school_age_min and a.age_on_last_31_aug <= $school_age_max_31aug,
            false
        ) as is_school_age,
        a.as_of
    from aged as a
)

select * from final
