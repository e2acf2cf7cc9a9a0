"""Example questions and project descriptions offered in the UI."""

from __future__ import annotations

EXAMPLE_QUESTIONS: list[str] = [
    "Which sub-priority covers reindeer crossings?",
    "Vilken delprioritering tar upp våld i nära relationer?",
    "Which sub-priority is about digital infrastructure and broadband?",
    "Vilken delprioritering handlar om kulturarv?",
    "How many inhabitants does Västerbotten have?",
    "Vad säger strategin om det samiska urfolket?",
]

EXAMPLE_DESCRIPTIONS: list[str] = [
    "Vi vill bygga laddstationer för elbilar i inlandets byar och längs E12 så att fler kan resa hållbart.",
    "A mentoring programme that helps young women in inland municipalities start and grow their own companies.",
]
