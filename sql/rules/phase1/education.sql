-- Phase 1 criterion 2, education: a member of compulsory school age who, across the last
-- $education_terms consecutive terms, was permanently excluded, had $fixed_exclusions_min or
-- more fixed exclusions, was in a PRU / alternative provision / not on roll in the most
-- recent term, or had unauthorised absence >= $absence_threshold of possible sessions.
-- The conditions are worked out in int_family_events__education, on the date each family
-- is judged on.
-- Wording, source and cases: education.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select e.*
    from int_family_events__education as e
)

select * from final
