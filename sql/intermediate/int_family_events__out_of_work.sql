-- The benefit spells that meet a family's work / worklessness criterion (rules.md Phase 1
-- criterion 3) on the date it is judged (as_of, int_families__as_of): a member aged
-- $adult_age or more then, on a benefit in $out_of_work_benefits whose spell is open on
-- as_of (started on or before it, and no end or an end on or after it: an end after as_of
-- was not yet known then). A claimant whose date of birth is unknown counts as an adult
-- unless households placed them as a child (decision 73: DWP pays these benefits to
-- adults, and a date of birth left blank on the claim says nothing about age).
-- Grain: one row per family x open spell.

with

adults as (
    select
        m.family_id,
        m.person_id,
        m.as_of
    from int_household_members__aged as m
    where m.is_adult or (m.dob is null and m.role <> 'child')
),

spells as (
    select bs.*
    from int_member_events__benefit_spells as bs
),

final as (
    select
        s.family_id,
        'out_of_work_benefit' as kind,
        s.source,
        s.record_id,
        s.person_id,
        s.spell_start as event_date,
        s.benefit || ' spell open' as value
    from spells as s
    inner join adults as a on a.family_id = s.family_id and a.person_id = s.person_id
    where list_contains($out_of_work_benefits, s.benefit)
      and s.spell_start <= a.as_of
      and (s.spell_end is null or s.spell_end >= a.as_of)
)

select * from final
