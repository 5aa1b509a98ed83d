"""The emergent-leader protocol, written once for every transport."""

from emergent_lab.core.checks import check_number
from emergent_lab.core.ids import NO_NODE, IdTable, node_sort_key, validate_node_id
from emergent_lab.protocol.messages import GossipAck, GossipAck2, GossipSyn, Message, StateBatch
from emergent_lab.protocol.node import Node
from emergent_lab.protocol.params import ProtocolParams
from emergent_lab.protocol.transport import Clock, NodeListener, Transport
from emergent_lab.protocol.view import View

__all__ = [
    "NO_NODE",
    "Clock",
    "GossipAck",
    "GossipAck2",
    "GossipSyn",
    "IdTable",
    "Message",
    "Node",
    "NodeListener",
    "ProtocolParams",
    "StateBatch",
    "Transport",
    "View",
    "check_number",
    "node_sort_key",
    "validate_node_id",
]
