"""The course authors' tooling, outside the course_utils package that students install.

    python -m authoring.build          # notebooks/ from the reference solutions in solutions/  (build.py)
    python -m authoring.build --student-release DIR --class-key KEY   # what a class gets    (delivery/)
    python -m authoring.portability    # notebooks/ re-run in other numerical environments  (portability.py)

It reads the repository (solutions/, notebooks/, course_utils/) and is run from its root; it may import
course_utils, and nothing of course_utils imports it (tests/test_layers.py). Neither the student release nor
the Gradescope bundle ships it, and pyproject.toml leaves it out of the installed distribution.
"""
