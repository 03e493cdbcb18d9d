-- Phase 2 problem 2, school attendance: as Phase 1 criterion 2 (a member of compulsory
-- school age permanently excluded, with $fixed_exclusions_min or more fixed exclusions, in
-- PRU / alternative provision / not on roll, or with unauthorised absence
-- >= $absence_threshold, over the last $education_terms terms).
-- Wording, source and cases: school_attendance.yml. Items only: criterion_shape.sql adds the rest.

with

final as (
    select e.*
    from int_family_events__education as e
)

select * from final
