"""ui: the app people and programs use — the Gradio UI at / and the REST API at /api.

server.py assembles both; pages/ holds one module per tab (chat, browse, audit, documents);
api.py the REST endpoints; access.py who may do what. The tabs and the API share what they
show: indicators.py (the indicator table), audit_report.py (one document's audit),
source_view.py and render.py (safe HTML). Uploads, documents and source files go through the
document library (index/library.py), one per app (`AppContext.library`).
"""
