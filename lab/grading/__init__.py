"""The instructor's side: `lab grade ROSTER` grades many learners into grades.csv + feedback."""
