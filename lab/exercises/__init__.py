"""The learner's side: one exercise per module, generated from one marked solution.

`project/` holds the course project, solved, with each learner part between
`# BEGIN SOLUTION <criterion id>: <task>` and `# END SOLUTION`; `tasks/` holds each module's task
text (English and Traditional Chinese). Starters, workspaces, hints and the M6 mutants are all
derived from these files (nothing is written twice by hand).
"""
