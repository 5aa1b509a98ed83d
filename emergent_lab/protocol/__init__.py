"""The emergent-leader protocol, written once for every transport.

Layer 2. :mod:`.rules` holds the protocol's decisions (best candidate,
choice, recognition) as compiled pure functions that the exact node and the
array kernels both call; :mod:`.member` the base every protocol's node
shares; :mod:`.node` the gossiping emergent node with its :mod:`.view`,
whose merge (:mod:`.merging`) and evaluation (:mod:`.survey`) are compiled
kernels too; :mod:`.messages`, :mod:`.params` and :mod:`.transport` what it
sends, is tuned by and runs on (a clock and a transport, never a concrete
network); :mod:`.topk_node` the bounded variant (``view = "topk"``) with its
:mod:`.topk_view` and :mod:`.topk_messages`; :mod:`.journal` where the merge
copies each state it takes when a causal record asks (``View.journal``).

May import: core, score, detector, datasets. Never the simulator or above.
"""

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
