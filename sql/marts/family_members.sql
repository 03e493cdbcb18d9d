-- Who is in each family at the as-of date, for the district lists: one row per member,
-- with age in whole years at the as-of date (from persons.dob) and household role.

with

members as (
    select
        m.family_id,
        m.person_id,
        m.role,
        m.age_at_as_of
    from int_household_members__aged as m
),

people as (
    select
        p.person_id,
        p.forename,
        p.surname,
        p.dob
    from persons as p
),

final as (
    select
        m.family_id,
        m.person_id,
        pp.forename,
        pp.surname,
        pp.dob,
        m.age_at_as_of as age,
        m.role
    from members as m
    left join people as pp on pp.person_id = m.person_id
    order by m.family_id, m.age_at_as_of desc nulls last, m.person_id
)

select * from final
