-- Family members' DWP out-of-work benefit spells, in the words the rules use (benefit,
-- spell_start, spell_end; spell_end null while open), of any benefit: each reader keeps
-- the $out_of_work_benefits it counts. Read by the work / worklessness criterion, the
-- continuous_employment result and the claim workbook.
-- Grain: one row per linked dwp_benefits row of a member.

with

final as (
    select
        me.family_id,
        me.person_id,
        me.source,
        me.record_id,
        me.event_type as benefit,
        me.event_date as spell_start,
        me.end_date as spell_end
    from int_member_events__linked as me
    where me.source = 'dwp_benefits'
)

select * from final
