-- Phase 2 problem 4, worklessness: as Phase 1 criterion 3 (an adult member on an
-- out-of-work benefit in $out_of_work_benefits with a spell open on the date the family is
-- judged on).
-- Wording, source and cases: worklessness.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select e.*
    from int_family_events__out_of_work as e
)

select * from final
