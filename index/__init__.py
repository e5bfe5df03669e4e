"""index: records → nodes → embeddings → Chroma, with a BM25 index over the same ids."""

from index.health import Health, Problem
from index.library import Library, UploadResult
from index.store import Catalog, DocumentInfo, FileReport, Index, open_index

__all__ = ["Catalog", "DocumentInfo", "FileReport", "Health", "Index", "Library", "Problem", "UploadResult",
           "open_index"]
