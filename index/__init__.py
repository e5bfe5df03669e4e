"""index: records → nodes → embeddings → Chroma, with a BM25 index over the same ids."""

from index.store import Catalog, DocumentInfo, FileReport, Index, open_index

__all__ = ["Catalog", "DocumentInfo", "FileReport", "Index", "open_index"]
