"""FastAPI dependencies as ``Annotated`` aliases; tests override them on the app.

``async def`` although they only read attributes: FastAPI runs a plain ``def`` dependency in
its thread pool, a thread hand-off per dependency and request that cost more CPU than the
lookups (seen in a profile of /ask under load)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.ask.ask_service import AskService
from service.container import Container
from service.settings import Settings


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.container.settings
    return settings


async def get_ask_service(request: Request) -> AskService:
    service: AskService = request.app.state.ask_service
    return service


ContainerDep = Annotated[Container, Depends(get_container)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AskServiceDep = Annotated[AskService, Depends(get_ask_service)]
