"""The plan's DAG as Graphviz DOT (:func:`to_dot`) or a Mermaid flowchart (:func:`to_mermaid`).

Nodes are the planned changes in apply order, labelled with their action symbol; edges run
from what must finish first to what starts after it, labelled with the dependency condition
or the implicit ordering's kind. Both outputs are deterministic.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan
    from reconciler.model.changes import Change

COLOR = {"create": "green", "update": "orange", "replace": "magenta", "delete": "red",
         "no-op": "gray", "read": "blue"}
MERMAID_FILL = {"create": "#d4f7d4", "update": "#fff1c2", "replace": "#f3d4f7",
                "delete": "#f7d4d4"}


def _change(plan: Plan, node: str) -> Change:
    change: Change = plan.graph.nodes[node]["change"]
    return change


def _edge_label(data: dict[str, object]) -> str:
    condition = data.get("condition")
    return str(condition) if condition else str(data.get("kind", ""))


def _quote(text: str) -> str:
    return json.dumps(text)  # a DOT ID in double quotes, with \" escapes


def to_dot(plan: Plan) -> str:
    """Graphviz DOT: ``reconciler graph | dot -Tsvg > plan.svg``."""
    lines = [f"digraph {_quote(plan.scope)} {{", "  rankdir=LR;",
             '  node [shape=box, style=rounded, fontname="monospace"];']
    for node in plan.order():
        change = _change(plan, node)
        label = f"{change.action.value} {node}"
        lines.append(f"  {_quote(node)} [label={_quote(label)}, "
                     f"color={COLOR.get(change.action.verb, 'black')}];")
    for u, v, data in plan.edges():
        lines.append(f"  {_quote(u)} -> {_quote(v)} [label={_quote(_edge_label(data))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(plan: Plan) -> str:
    """A Mermaid flowchart (renders in GitHub Markdown inside a ```mermaid block)."""
    ids = {node: f"n{i}" for i, node in enumerate(plan.order())}
    lines = ["flowchart LR"]
    for node, ident in ids.items():
        change = _change(plan, node)
        label = _mermaid_text(f"{change.action.value} {node}")
        lines.append(f'  {ident}["{label}"]:::{change.action.verb.replace("-", "")}')
    for u, v, data in plan.edges():
        lines.append(f'  {ids[u]} -->|"{_mermaid_text(_edge_label(data))}"| {ids[v]}')
    for verb, fill in MERMAID_FILL.items():
        lines.append(f"  classDef {verb} fill:{fill},stroke:{COLOR[verb]}")
    return "\n".join(lines) + "\n"
