"""The emergent-leader protocol over a real MQTT broker (the ``mqtt`` extra).

Agents run the very same :class:`~emergent_lab.protocol.node.Node` as the
simulator, on the asyncio loop's clock, with gossip addressed to per-node
topics; small devices that do not gossip publish JSON heartbeats that every
agent mirrors as a node. Only :mod:`transport`, :mod:`broker` and the
command-line entry points import ``aiomqtt`` / ``amqtt``, and only when they
run, so the codec and the security checks work without the extra.

Layer 10. May import every layer up to analysis and live (its live source
reuses :mod:`emergent_lab.live.parts`); never Jupyter.
"""
