-- The Phase 1 months of family_history under the family ids of today: a month kept under
-- an id since retired (the family was merged into another: int_family_ids__current)
-- counts for the family it became. Read by int_family_attachment (when a family was first
-- identified) and int_engagements__judged (what the run on an attachment date found).
-- Grain: one row per phase1 family_history row.

with

final as (
    select
        coalesce(cf.family_id, fh.family_id) as family_id,
        fh.as_of,
        fh.status
    from family_history as fh
    left join int_family_ids__current as cf on cf.old_id = fh.family_id
    where fh.programme = 'phase1'
)

select * from final
