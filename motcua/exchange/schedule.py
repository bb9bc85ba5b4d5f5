"""Periodic jobs, registered in this one place, run by ``motcua worker`` when due."""
