"""The application lifecycle as a Mermaid ``stateDiagram-v2``, drawn by the ``transitions``
library from the same definition that validates commands (``engine.lifecycle``).

``transitions``' Mermaid engine is plain text and needs no Graphviz. Only the facts that
change state are drawn: the others (notes, thank-yous ...) would be a self-loop on every
state and bury the shape of the lifecycle.
"""

from __future__ import annotations

from afterview.engine.domain.lifecycle import APPLIED, NEW, STATES, TERMINAL_STATES, plain_transitions


class _Model:
    """What the diagram machine moves; nothing ever moves it."""


def mermaid() -> str:
    """The diagram text, ending in a newline."""
    from transitions.extensions.diagrams import GraphMachine  # deferred: only `diagram` needs it

    changes = [t for t in plain_transitions() if t["dest"] is not None and t["source"] != [NEW]]
    model = _Model()
    machine = GraphMachine(model=model, states=[str(s) for s in STATES], transitions=changes,
                           initial=str(APPLIED), auto_transitions=False, graph_engine="mermaid",
                           show_state_attributes=False)
    graph = machine.model_graphs[id(model)]
    graph.reset_styling()  # else the initial state is drawn as "active", in red
    lines = str(graph.get_graph().draw(None)).splitlines()
    if lines and lines[0] == "---":  # the title block: Mermaid wants YAML (title: ...) there
        lines = lines[lines.index("---", 1) + 1:]
    lines = [line.rstrip() for line in lines if line.strip()]
    # An application ends in a terminal state; transitions has no way to say so in Mermaid.
    lines += [f"  {state} --> [*]" for state in STATES if state in TERMINAL_STATES]
    return "\n".join(lines) + "\n"
