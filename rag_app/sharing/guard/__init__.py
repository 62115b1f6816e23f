"""The doors of a shared server, kept before Gradio sees a request: logins, sessions, uploads, streams."""

from rag_app.sharing.guard.asgi import Guard, GuardConfig
from rag_app.sharing.guard.logins import LoginPolicy, LoginThrottle, Refusal, back_off
from rag_app.sharing.guard.owners import Owners, UploadCache, default_cache_dir
from rag_app.sharing.guard.quotas import UploadPolicy, UploadQuota

__all__ = [
    "Guard",
    "GuardConfig",
    "LoginPolicy",
    "LoginThrottle",
    "Owners",
    "Refusal",
    "UploadCache",
    "UploadPolicy",
    "UploadQuota",
    "back_off",
    "default_cache_dir",
]
