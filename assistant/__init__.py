"""assistant: question → typed plan → rows → grounded, cited answer."""

from assistant.dialogue import Clarify, DialogueState
from assistant.plan import Plan
from assistant.service import Answer, Assistant

__all__ = ["Answer", "Assistant", "Clarify", "DialogueState", "Plan"]
