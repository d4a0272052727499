"""A class: the roster and its engines, each student's `lab` command run side by side in a
process of its own, and the class's progress.

    roster     the students of a class and the engine each works on (class.yaml)
    engines    what a student's process needs in its environment to use their engine
    children   one student's `lab` command as a process, forked warm or started cold
    outcomes   what each command's JSON answer comes to in the class's table
    runs       a command for every student at once, engines side by side
    standings  every student x exercise, read from the progress files
    everyone   a classroom machine between classes: every student reset
"""
