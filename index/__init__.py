"""index: records → nodes → embeddings → Chroma, with a BM25 index over the same ids."""

from index.library import Library, UploadResult
from index.store import Catalog, DocumentInfo, FileReport, Health, Index, Problem, open_index

__all__ = ["Catalog", "DocumentInfo", "FileReport", "Health", "Index", "Library", "Problem", "UploadResult",
           "open_index"]
