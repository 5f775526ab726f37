"""The instructor's side of a course: `lab course new|lint|verify|release|catch-up`.

A course is data (lab.exercises.course reads it); this package makes a new course folder from
the default one (`new`), checks one (`lint`), builds what learners get from it (`release`: no
solution, no hidden part) and applies a catch-up pack to a learner's project (`catchup`).
"""
