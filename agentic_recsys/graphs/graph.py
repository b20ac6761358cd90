"""One turn of the conversation, as a LangGraph state graph.

    recall ---------> intent -> planner -> retrieval -> critic --accept--> explainer -> remember
      |                ^  |        ^                    |
      +-> perceive ----+  |        +----revise (bounded)+
                          +-- clarify / explain / chit-chat --------------> explainer

`recall` goes to `perceive` only when the turn has pictures (a turn without is as before);
`intent` and `critic` route with `Command`; the critic's revise loop is bounded by
`Context.max_revisions`. `build_graph()` returns the uncompiled builder so the caller
picks the checkpointer and store; `graph` is the compiled graph LangGraph Studio loads.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agentic_recsys.agents.critic import critic_agent
from agentic_recsys.agents.explainer import explainer_agent
from agentic_recsys.agents.intent import intent_agent
from agentic_recsys.agents.perceive import after_recall, perceive
from agentic_recsys.agents.planner import planner_agent
from agentic_recsys.agents.retrieval import retrieval_agent
from agentic_recsys.graphs.memory_steps import recall_memories, remember_turn
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.state import InputState, OutputState, State


def build_graph() -> StateGraph[State, Context, InputState, OutputState]:
    """The five agents, the two memory steps and perception, wired as the flow of one turn."""
    builder = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    builder.add_node("recall", recall_memories)
    builder.add_node("perceive", perceive)
    builder.add_node("intent", intent_agent)  # -> planner | explainer
    builder.add_node("planner", planner_agent)
    builder.add_node("retrieval", retrieval_agent)
    builder.add_node("critic", critic_agent)  # -> planner (revise) | explainer
    builder.add_node("explainer", explainer_agent)
    builder.add_node("remember", remember_turn)

    builder.add_edge(START, "recall")
    builder.add_conditional_edges("recall", after_recall, ["perceive", "intent"])
    builder.add_edge("perceive", "intent")
    builder.add_edge("planner", "retrieval")
    builder.add_edge("retrieval", "critic")
    builder.add_edge("explainer", "remember")
    builder.add_edge("remember", END)
    return builder


graph = build_graph().compile(name="agentic-recsys")
