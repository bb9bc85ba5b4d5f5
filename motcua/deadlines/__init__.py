"""The legal clock (đồng hồ pháp lý): working days, office hours and deadline arithmetic.

The core lives in :mod:`motcua.deadlines.calendar` and imports nothing from Django, so other
apps, the CLI and benchmarks can use it without a configured project.
"""
