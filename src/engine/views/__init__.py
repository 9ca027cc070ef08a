"""Read models folded from domain state: practice, statistics, the lifecycle diagram.
Imports only the domain.
"""
