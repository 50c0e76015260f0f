"""The ask service, observed: every answer feeds the metrics and the request's log line.

A subclass rather than calls sprinkled through the answering code, so the pipeline stays
about answering; it passes through whatever arguments the base service takes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from service.answering.base import Answer
from service.ask.ask_service import AskInput, AskService
from service.container import Container
from service.observability.metrics import Metrics
from service.observability.request_log import note, note_answer


class ObservedAskService(AskService):
    def __init__(self, container: Container, metrics: Metrics | None) -> None:
        super().__init__(container)
        self.metrics = metrics
        self.log_questions = container.settings.observability.log_questions

    def _observe(self, answer: Answer) -> None:
        note_answer(answer)
        if self.metrics is not None:
            self.metrics.observe_answer(answer)

    def _note_question(self, data: AskInput) -> None:
        if self.log_questions:
            note(question=data.question)

    async def ask(self, data: AskInput, *args: Any, **kwargs: Any) -> Answer:
        self._note_question(data)
        answer = await super().ask(data, *args, **kwargs)
        self._observe(answer)
        return answer

    async def stream(
        self, data: AskInput, *args: Any, **kwargs: Any
    ) -> AsyncIterator[str | Answer]:
        self._note_question(data)
        async for item in super().stream(data, *args, **kwargs):
            if isinstance(item, Answer):
                self._observe(item)
            yield item
