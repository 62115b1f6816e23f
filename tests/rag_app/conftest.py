from __future__ import annotations

import pytest

from rag_app.settings import Settings


@pytest.fixture(scope="session")
def sample_service(tmp_path_factory, bundled_embeddings):
    """sample_docs/ indexed once with the bundled model, shared by the retrieval and answer tests (read-only)."""
    from rag_app.service import RagService
    from tests.conftest import SAMPLE_DOCS

    service = RagService(
        Settings(store_dir=tmp_path_factory.mktemp("samples")), embeddings=bundled_embeddings
    )
    assert service.ingest([SAMPLE_DOCS]).exit_code == 0
    return service


@pytest.fixture(scope="session")
def english_only_service(tmp_path_factory, bundled_embeddings):
    """sample_docs/ with the bundled English-only model alone (``multilingual="off"``): what a store
    built before the multilingual companion, or one that turned it off, answers with."""
    from rag_app.service import RagService
    from tests.conftest import SAMPLE_DOCS

    settings = Settings(store_dir=tmp_path_factory.mktemp("samples-en"), multilingual="off")
    service = RagService(settings, embeddings=bundled_embeddings)
    assert service.ingest([SAMPLE_DOCS]).exit_code == 0 and service.companion is None
    return service
