"""The pure core: facts, the lifecycle, decide and evolve, the follow-up policies, business
days and offer maths. Imports nothing else of the project; no I/O, no clock.
"""
