"""The platform as it will run: every Helm release rendered from its archive, then checked as a whole.

DESIGN.md, "The platform as it will run": render -> full render -> objects -> pods -> checks,
each check a pure function from the object set to findings.
"""
