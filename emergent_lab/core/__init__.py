"""The ground floor: value checks, node ids and typed array aliases.

Layer 0. Imports nothing of emergent_lab; every other package may import it.
"""
