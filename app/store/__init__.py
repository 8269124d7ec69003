"""The only code that talks to Redis: one store per aggregate, all built together by Stores;
every key name in keys.py; every transition one Lua script under lua/ (scripts.py)."""

from app.store.stores import Stores

__all__ = ["Stores"]
