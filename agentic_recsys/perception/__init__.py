"""Perception: pictures the user sends, made safe, stored by content, described by a model."""
