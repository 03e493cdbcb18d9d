-- The shape every criterion returns (architecture.md "Rules and marts"), added around each
-- rules/<programme>/<criterion>.sql by cohort.core.sqlrunner, so a rule file states only its
-- items. It reads two names the runner defines:
--   criterion_items  the rule file's rows, one per input row that meets the criterion; the
--                    shape reads family_id, source, record_id, person_id, event_date and
--                    value by name, so a rule file may `select e.*` and other columns are
--                    passed over
--   criterion_name   the criterion (the rule file's name)
-- One row per family judged (int_families__as_of: every family at T in a monthly run, or
-- the families judged as at other dates), met when the rule found at least one item, with
-- the items as evidence, oldest first.

with

families as (
    select
        fd.family_id
    from int_families__as_of as fd
),

evidence as (
    select
        i.family_id,
        {{ evidence_list }} as evidence
    from criterion_items as i
    group by i.family_id
),

final as (
    select
        f.family_id,
        cn.criterion,
        ev.family_id is not null as met,
        coalesce(ev.evidence, []) as evidence
    from families as f
    cross join criterion_name as cn
    left join evidence as ev on ev.family_id = f.family_id
)

select * from final
