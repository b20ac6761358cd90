"""Every engine by name, with its config: one place to add an engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.engines.als import ALS, ALSConfig
from agentic_recsys.engines.base import Engine
from agentic_recsys.engines.itemknn import ItemKNN, ItemKNNConfig
from agentic_recsys.engines.kg import KGConfig, KnowledgeGraph
from agentic_recsys.engines.popularity import Popularity, PopularityConfig
from agentic_recsys.engines.recent_popularity import RecentPopularity, RecentPopularityConfig
from agentic_recsys.engines.semantic import Semantic, SemanticConfig
from agentic_recsys.engines.sequential import Sequential, SequentialConfig


class EngineConfigs(BaseModel):
    """One config per engine; the field name is the engine's name.

    The engines' defaults are the values `ars eval offline` chose on MovieLens-100K.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    popularity: PopularityConfig = Field(default_factory=PopularityConfig)
    recent_popularity: RecentPopularityConfig = Field(default_factory=RecentPopularityConfig)
    itemknn: ItemKNNConfig = Field(default_factory=ItemKNNConfig)
    als: ALSConfig = Field(default_factory=ALSConfig)
    semantic: SemanticConfig = Field(default_factory=SemanticConfig)
    kg: KGConfig = Field(default_factory=KGConfig)
    sequential: SequentialConfig = Field(default_factory=SequentialConfig)


ENGINE_NAMES: tuple[str, ...] = tuple(EngineConfigs.model_fields)


ENGINE_CLASSES: dict[str, Callable[[Any], Engine]] = {
    "popularity": Popularity,
    "recent_popularity": RecentPopularity,
    "itemknn": ItemKNN,
    "als": ALS,
    "semantic": Semantic,
    "kg": KnowledgeGraph,
    "sequential": Sequential,
}


def make_engine(name: str, configs: EngineConfigs) -> Engine:
    """Create a fresh, unfitted engine configured from `configs` (its field of the same name)."""
    if name not in ENGINE_CLASSES:
        raise ValueError(f"unknown engine {name!r}")
    return ENGINE_CLASSES[name](getattr(configs, name))
