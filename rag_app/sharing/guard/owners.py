"""Whose is it: queue sessions and events bound to the person who opened them, and Gradio's upload
cache kept private (a 0700 folder, each upload served only to its uploader, deleted once read)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)
MAX_TRACKED = 100_000


class Owners:
    """The first person seen with a session hash or an event id owns it; nobody else may use it."""

    def __init__(self) -> None:
        self._owner: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, kind: str, key: str, user: str | None) -> bool:
        """True if ``key`` is ``user``'s (now, or from before); False if it is someone else's."""
        with self._lock:
            owner = self._owner.setdefault((kind, key), user)
            self._owner.move_to_end((kind, key))
            while len(self._owner) > MAX_TRACKED:
                self._owner.popitem(last=False)
            return owner == user


def default_cache_dir(store_dir: Path) -> Path:
    """A folder of this user's own in the system's temp folder, the same for the same store."""
    tag = hashlib.sha256(str(Path(store_dir).resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"rag-app-uploads-{os.getuid()}-{tag}"


class UploadCache:
    """Gradio's upload folder for one server: who uploaded each file, and its deletion once indexed.

    Gradio names an upload's folder by a hash of its bytes, so two people uploading the same bytes
    share a folder (and, with the same name, a file). A file there is served only to the people who
    uploaded it, any other file in an upload's folder to nobody, and the file is deleted when the last
    of them has had it read (or deleted their documents).
    """

    def __init__(self, root: Path) -> None:
        self._given = Path(os.path.abspath(root))
        self.root = Path(os.path.realpath(root))
        self._owners: dict[str, set[str | None]] = {}
        self._folders: dict[str, int] = {}
        self._lock = threading.Lock()

    def prepare(self) -> Path:
        """Create the folder 0700 (or check an existing one is ours and not a link), empty it."""
        given = self._given
        if os.path.lexists(given):
            if given.is_symlink() or not given.is_dir() or given.stat().st_uid != os.getuid():
                raise OSError(f"{given} is not a folder of this user's: choose another upload cache")
            for child in given.iterdir():  # leftovers of an earlier run (killed, or cleaned late)
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        given.mkdir(mode=0o700, parents=True, exist_ok=True)
        given.chmod(0o700)
        self.root = Path(os.path.realpath(given))
        return self.root

    def _key(self, path: str | Path) -> str | None:
        real = os.path.realpath(path)
        return real if real.startswith(str(self.root) + os.sep) else None

    def received(self, user: str | None, paths: Iterable[str]) -> None:
        """``user`` uploaded these files (the paths Gradio's upload route answered)."""
        with self._lock:
            for path in paths:
                key = self._key(path)
                if key is None:
                    continue
                owners = self._owners.setdefault(key, set())
                if not owners:
                    folder = os.path.dirname(key)
                    self._folders[folder] = self._folders.get(folder, 0) + 1
                owners.add(user)

    def may_read(self, user: str | None, path: str) -> bool:
        """False for a cached upload that is not ``user``'s, or any other file in an upload's folder."""
        key = self._key(path)
        if key is None:
            return True
        with self._lock:
            if key in self._owners:
                return user in self._owners[key]
            return os.path.dirname(key) not in self._folders

    def owns(self, user: str | None, path: str | Path) -> bool:
        key = self._key(path)
        with self._lock:
            return key is not None and user in self._owners.get(key, set())

    def release(self, user: str | None, paths: Iterable[str | Path]) -> None:
        """``user`` is done with these files: each is deleted once no one else still needs it."""
        with self._lock:
            for path in paths:
                key = self._key(path)
                owners = self._owners.get(key or "")
                if key is None or owners is None:
                    continue
                owners.discard(user)
                if not owners:
                    self._drop(key)

    def forget(self, user: str | None) -> None:
        """Release everything ``user`` uploaded and did not index yet."""
        with self._lock:
            mine = [key for key, owners in self._owners.items() if user in owners]
        self.release(user, mine)

    def _drop(self, key: str) -> None:
        del self._owners[key]
        folder = os.path.dirname(key)
        self._folders[folder] -= 1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(key)
        if self._folders[folder] == 0:
            del self._folders[folder]
            with contextlib.suppress(OSError):  # another file (an output Gradio wrote there) keeps it
                os.rmdir(folder)
