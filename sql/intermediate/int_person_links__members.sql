-- Which input rows belong to a family member: person_links joined to household_members.
-- Every person-level event reaches its family through this table. Grain: one row per
-- linked input row of a person who is in a family at $as_of.

with

links as (
    select
        pl.source,
        pl.record_id,
        pl.person_id
    from person_links as pl
),

members as (
    select
        hm.family_id,
        hm.person_id
    from household_members as hm
),

final as (
    select
        l.source,
        l.record_id,
        l.person_id,
        m.family_id
    from links as l
    inner join members as m on m.person_id = l.person_id
)

select * from final
