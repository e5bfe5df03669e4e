"""assistant: understand a question, retrieve rows, compose a grounded answer."""

from assistant.service import Answer, Assistant, DialogueState

__all__ = ["Answer", "Assistant", "DialogueState"]
