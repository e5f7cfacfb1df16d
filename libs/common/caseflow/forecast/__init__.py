"""Overdue risk (#35): the chance that an open assignment is disposed after its deadline, learnt from the
disposal times the deployment already has. Pure: states in, numbers out."""
