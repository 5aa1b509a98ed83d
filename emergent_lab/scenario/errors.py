"""The one error a scenario raises, and the helpers that name the field at fault."""

from __future__ import annotations

from typing import Any


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the field at fault."""


def fail(path: str, message: str) -> ScenarioError:
    """An error about the field at ``path``."""
    return ScenarioError(f"{path}: {message}")


def checked(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a constructor, turning its ValueError into a ScenarioError."""
    try:
        return call(*args, **kwargs)
    except ScenarioError:
        raise
    except (ValueError, KeyError) as error:
        raise ScenarioError(str(error).strip("'\"")) from None


def checked_under(prefix: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Like :func:`checked`, for helpers whose messages name a field relative to ``prefix``.

    ``ScoreFunction.with_weights`` says ``weights.cpu: …``; under ``events[3]``
    that becomes ``events[3].weights.cpu: …``, the field in the file.
    """
    try:
        return call(*args, **kwargs)
    except (ValueError, KeyError) as error:
        raise ScenarioError(f"{prefix}.{str(error).strip(chr(39) + chr(34))}") from None
