-- Phase 1 criterion 3, work: an adult member on an out-of-work benefit
-- ($out_of_work_benefits) with a spell open on the date the family is judged on (T in a
-- monthly run). Spells come from int_family_events__out_of_work.
-- Wording, source and cases: work.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select e.*
    from int_family_events__out_of_work as e
)

select * from final
