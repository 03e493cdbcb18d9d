-- Per programme family, its ASB events and minors' proven offences counted in the baseline
-- and in the outcome period (int_family_events__asb_offending), as the crime/ASB result
-- judges them and the claim workbook shows them. Grain: one row per family with any event.

with

final as (
    select
        e.family_id,
        count(*) filter (where e.kind = 'asb_event' and e.in_baseline) as asb_baseline,
        count(*) filter (where e.kind = 'asb_event' and e.in_outcome) as asb_outcome,
        count(*) filter (where e.kind = 'minor_offence' and e.in_baseline) as offences_baseline,
        count(*) filter (where e.kind = 'minor_offence' and e.in_outcome) as offences_outcome
    from int_family_events__asb_offending as e
    group by e.family_id
)

select * from final
