"""The REST API, mounted at /api (OpenAPI docs at /api/docs).

POST /ask returns the `python -m assistant ask --json` object. Readers (a reader or editor token)
ask, search, list and export; editors also upload and remove documents. Errors are
`{"error": "<a Chinese sentence>"}` without internals or server paths (those go to the log).

Concurrency: questions and searches run on their own pool of ASK_WORKERS threads, so a question
that waits for the embedding model (which releases the GIL) never holds up one that needs no
model. Uploads and removals go through the app's document library (index/library.py), whose
writes hold the index's lock: one writer at a time per data directory, whoever sends it (the UI,
the API, another process). A writer that waits longer than JIXIAO_LOCK_TIMEOUT gets 409.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at definition
# time, and the role dependencies are local to build_api.
import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from assistant import DialogueState
from assistant.answer import citation
from assistant.audit_matrix import coverage_table
from assistant.retrieve import Filters, search
from errors import ConfigError, IndexBusyError, IndexMissingError, JixiaoError
from index.library import UploadResult
from index.store import DocumentInfo
from ingest.records import Record
from ingest.taxonomy import LEVEL1, LEVEL2
from ui import audit_report
from ui import indicators as ind
from ui.access import Role
from ui.context import MAX_QUESTION_CHARS, AppContext, answer_json, error_reason, public_message

_log = logging.getLogger(__name__)
T = TypeVar("T")
ASK_WORKERS = 4
MAX_TURNS = 20
MAX_PAGE = 500
FORM_SLACK = 1024 * 1024  # multipart headers and boundaries on top of the files themselves
TRUE_WORDS, FALSE_WORDS = {"1", "true", "on", "yes"}, {"", "0", "false", "off", "no"}
NO_INDEX = "索引中还没有任何表格:请先上传并导入项目支出绩效目标表。"
INTERNAL = "服务器内部错误,请稍后再试;详细信息已写入服务器日志。"
DESCRIPTION = """用中文提问项目支出绩效目标表,每个回答都引用原表行。

认证:配置了令牌时,在请求头加入 `Authorization: Bearer <令牌>`。只读令牌可以提问、检索、浏览和导出;
编辑令牌还可以上传和移除文档。错误返回 `{"error": "中文说明"}`。"""


class AskRequest(BaseModel):
    """A question, with the earlier questions of the same conversation."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, examples=["扶贫工作经费的社会效益指标是什么"])
    turns: list[Annotated[str, Field(max_length=MAX_QUESTION_CHARS)]] = Field(
        default_factory=list, max_length=MAX_TURNS, examples=[["扶贫工作经费有哪些产出指标"]])


class ApiError(HTTPException):
    """An HTTP error whose detail is a Chinese sentence for the caller."""


# -- error bodies -----------------------------------------------------------------------------------
_PROBLEMS = {
    "missing": "缺少这个字段", "string_too_short": "不能为空", "string_too_long": "太长",
    "too_long": "项数太多", "extra_forbidden": "不认识这个字段", "string_type": "需要字符串",
    "list_type": "需要数组", "int_parsing": "需要整数", "int_type": "需要整数", "bool_parsing": "需要 true 或 false",
    "greater_than_equal": "太小", "less_than_equal": "太大", "greater_than": "太小", "literal_error": "取值不在允许的范围内",
    "json_invalid": "不是有效的 JSON", "model_attributes_type": "需要 JSON 对象", "dict_type": "需要 JSON 对象",
}


def _validation_sentence(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
        problem = _PROBLEMS.get(e.get("type", ""), "不符合要求")
        limit = (e.get("ctx") or {}).get("max_length") or (e.get("ctx") or {}).get("le") or (e.get("ctx") or {}).get("ge")
        if limit is not None and e.get("type") in ("string_too_long", "too_long", "less_than_equal", "greater_than_equal"):
            problem += f"(界限 {limit})"
        parts.append(f"{where or '请求体'}:{problem}")
    return "请求格式不对:" + ";".join(parts) + "。"


# -- the app ------------------------------------------------------------------------------------------
def build_api(ctx: AppContext) -> FastAPI:
    """The REST API over the same assistant and index as the UI."""
    # The docs page's script and style are served from the fastapi-offline package, not a CDN.
    api = FastAPIOffline(title="绩效问答 API", version="1", description=DESCRIPTION, docs_url="/docs", redoc_url=None,
                         openapi_url="/openapi.json", swagger_ui_parameters={"defaultModelsExpandDepth": 0},
                         static_url="/docs-static")
    pool = ThreadPoolExecutor(max_workers=ASK_WORKERS, thread_name_prefix="ask")
    bearer = HTTPBearer(auto_error=False, description="只读令牌或编辑令牌")

    async def on_pool(fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, fn)

    def needs(role: Role) -> Callable[..., Role]:
        def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Role:
            got = ctx.access.token_role(credentials.credentials if credentials is not None else None)
            if got is None:
                raise ApiError(401, "需要有效的访问令牌:请在请求头中加入 Authorization: Bearer <令牌>。",
                               headers={"WWW-Authenticate": "Bearer"})
            if got < role:
                raise ApiError(403, "只读令牌不能上传或移除文档:这需要编辑令牌。")
            return got
        return check

    Reader = Annotated[Role, Depends(needs(Role.READER))]
    Editor = Annotated[Role, Depends(needs(Role.EDITOR))]

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        sentence = exc.detail if isinstance(exc, ApiError) else {404: "没有这个接口。", 405: "这个接口不支持该请求方法。"}.get(
            exc.status_code, "请求无法处理。")
        return JSONResponse({"error": sentence}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_sentence(exc)}, status_code=422)

    @api.exception_handler(IndexMissingError)
    async def no_index(request: Request, exc: IndexMissingError) -> JSONResponse:
        return JSONResponse({"error": NO_INDEX}, status_code=503)

    # The project's own errors carry a Chinese sentence; it is sent without server paths.
    @api.exception_handler(JixiaoError)
    async def project_error(request: Request, exc: JixiaoError) -> JSONResponse:
        status = 409 if isinstance(exc, IndexBusyError) else 503 if isinstance(exc, ConfigError) else 500
        _log.warning("API %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"error": public_message(exc, ctx.settings)}, status_code=status)

    @api.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("API %s %s failed", request.method, request.url.path)
        return JSONResponse({"error": INTERNAL}, status_code=500)

    # -- reading ----------------------------------------------------------------------------------
    @api.get("/health", summary="服务状态")
    def health() -> dict[str, Any]:
        """`{"status": "ok", ...}` while the app can read its index (no token needed)."""
        catalog = ctx.index.catalog
        return {"status": "ok", "documents": len(catalog.documents), "rows": len(catalog.records)}

    @api.post("/ask", summary="提问")
    async def ask(body: AskRequest, role: Reader) -> dict[str, Any]:
        """The same object as `python -m assistant ask --json` (with `plan`/`clarify` when the assistant gives them).
        `turns` are the earlier questions of the conversation, replayed in order."""
        return await on_pool(partial(_answer, ctx, body))

    @api.get("/search", summary="检索原表行")
    async def search_rows(role: Reader,
                          q: Annotated[str, Query(min_length=1, max_length=200, description="检索词")],
                          project: str = "", department: str = "",
                          level1: Annotated[str, Query(description="一级指标名称或编码,如 满意度指标 / 3")] = "",
                          level2: Annotated[str, Query(description="二级指标名称或编码,如 社会效益指标 / 22")] = "",
                          kind: Literal["", "indicator", "project"] = "",
                          k: Annotated[int, Query(ge=1, le=50)] = 10) -> dict[str, Any]:
        """Rows ranked by the assistant's hybrid search (dense + BM25, reciprocal rank fusion), filtered."""
        filters = Filters(kind=kind, departments=[department] if department else [],
                          level1=_codes(level1, LEVEL1, "一级指标"), level2=_codes(level2, LEVEL2, "二级指标"))
        if project:
            filters.projects = ctx.index.catalog.projects_named(project)
            if not filters.projects:
                return {"query": q, "results": []}
        hits = await on_pool(lambda: search(ctx.index, q, filters, k=k))
        return {"query": q, "results": [{"rank": n, "score": round(h.score, 6), "dense_rank": h.dense_rank,
                                         "lexical_rank": h.lexical_rank, **row_json(h.record)}
                                        for n, h in enumerate(hits, 1)]}

    @api.get("/indicators", summary="浏览指标(筛选、排序、分页、导出)", response_model=None)
    def indicators(role: Reader, department: str = "", year: str = "", project: str = "", level1: str = "",
                         level2: str = "", indicator: str = "", repaired: bool | None = None,
                         q: Annotated[str, Query(max_length=200, description="检索词(与问答相同的混合检索)")] = "",
                         sort: Annotated[str, Query(description="排序字段:relevance 或 " + "、".join(ind.FIELDS))] = "relevance",
                         desc: bool = False,
                         offset: Annotated[int, Query(ge=0)] = 0,
                         limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
                         format: Literal["json", "csv", "xlsx"] = "json") -> dict[str, Any] | FileResponse:
        """Every indicator matching the filters, as the 指标浏览 tab shows them. `format=csv|xlsx`
        downloads all matching rows (not just the page) in the same order."""
        if sort != "relevance" and sort not in ind.FIELDS:
            raise ApiError(422, f"不能按“{sort}”排序:可选 relevance、{'、'.join(ind.FIELDS)}。")
        values = {"department": department, "year": year, "project": project, "level1": level1, "level2": level2,
                  "indicator": indicator, "repaired": "" if repaired is None else ("是" if repaired else "否")}
        query = ind.IndicatorQuery(q, {ind.FIELDS[f]: v for f, v in values.items() if v},
                                   ind.RELEVANCE if sort == "relevance" else ind.FIELDS[sort], desc)
        rows = ind.select(ctx.index, query)  # a plain def: FastAPI runs it on its own thread pool, not the asks'

        if format != "json":
            path = ind.export(rows, format, ctx.export_folder())
            return FileResponse(path, filename=path.name)
        return {"total": len(rows), "offset": offset, "limit": limit,
                "items": [row_json(r) for r in rows[offset: offset + limit]]}

    @api.get("/documents", summary="已导入的文档")
    def documents(role: Reader) -> dict[str, Any]:
        documents = ctx.library.documents()
        return {"documents": [document_json(d, documents) for d in documents]}

    @api.get("/audit/{document}", summary="审计检查一个文档")
    def audit(document: str, role: Reader,
              rules: Annotated[str, Query(description="逗号分隔的检查项编码,默认全部")] = "") -> dict[str, Any]:
        chosen = [r.strip() for r in rules.split(",") if r.strip()] or None
        try:
            report = audit_report.run(ctx.index, document, chosen)
        except KeyError:
            raise ApiError(404, f"文档“{document}”不在索引中。") from None
        except ValueError as exc:
            raise ApiError(422, f"未知的检查项:{exc}") from None
        headers, rows = coverage_table([report.doc])
        totals = report.totals
        return {
            "document": report.source, "department": report.doc.info.department, "year": report.doc.info.year,
            "projects": len(report.doc.projects), "indicators": len(report.doc.indicators),
            "counts": report.counts(),
            "totals": None if totals is None else {"grand_total": totals.grand_total, "projects_sum": round(totals.projects_sum, 2),
                                                   "agree": totals.agree},
            "findings": [{"rule": f.rule, "title": f.title, "severity": f.severity, "project": f.project,
                          "message": f.message, "cites": f.cites(), "records": [r.id for r in f.records],
                          "lines": list(f.lines)} for f in report.findings],
            "coverage": {"columns": headers, "rows": rows},
        }

    # -- writing ----------------------------------------------------------------------------------
    max_files, max_mb = ctx.settings.upload_max_files, ctx.settings.upload_max_mb
    max_body = int(max_files * max_mb * 1024 * 1024) + FORM_SLACK
    limits = f"一次最多 {max_files} 个文件,每个不超过 {max_mb:g} MB"

    @api.post("/documents", summary="上传并导入文档(编辑)", openapi_extra={"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "replace": {"type": "boolean", "default": False, "description": "替换同部门同年度的旧版本"}}}}}}})
    async def upload(request: Request, role: Editor,
                     replace: Annotated[bool, Query(description="替换同部门同年度的旧版本(也可作为表单字段)")] = False,
                     ) -> dict[str, Any]:
        """Multipart `files` (at most JIXIAO_UPLOAD_MAX_FILES files of JIXIAO_UPLOAD_MAX_MB each). Each file is
        checked, indexed and reported on its own: `duplicate` when its content is already indexed; a table of a
        department and year already indexed is kept beside it with a `note`, or replaces it with `replace=true`."""
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise ApiError(411, "上传需要 Content-Length 请求头。")
        if int(length) > max_body:
            raise ApiError(413, f"上传内容太大:{limits}。")
        try:
            form = await request.form(max_files=max_files + 1, max_fields=10)
        except Exception:
            raise ApiError(400, "无法解析上传内容:需要 multipart/form-data,文件字段名为 files。") from None
        try:
            files = [f for f in form.getlist("files") if not isinstance(f, str)]
            if not files:
                raise ApiError(422, "没有收到文件:用 multipart/form-data 上传,字段名为 files。")
            if len(files) > max_files:
                raise ApiError(413, f"一次最多上传 {max_files} 个文件,这次有 {len(files)} 个。")
            field = form.get("replace")
            word = field.strip().lower() if isinstance(field, str) else ""
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ApiError(422, "表单字段 replace 只能是 true 或 false。")
            # The library reads each stream up to the size limit (+1 byte, to report it).
            streams = [(f.filename or "", f.file) for f in files]
            result = await asyncio.get_running_loop().run_in_executor(
                None, partial(ctx.library.upload, streams, replace=replace or word in TRUE_WORDS))
        finally:
            await form.close()
        return upload_json(result)

    @api.delete("/documents/{document}", summary="移除文档(编辑)")
    def remove(document: str, role: Editor) -> dict[str, Any]:
        if ctx.index.document(document) is None:
            raise ApiError(404, f"文档“{document}”不在索引中。")
        return {"removed": document, "rows": ctx.library.remove(document)}

    return api


def _answer(ctx: AppContext, body: AskRequest) -> dict[str, Any]:
    state = DialogueState()
    for turn in body.turns:
        ctx.assistant.ask(turn, state)
    return answer_json(ctx.assistant.ask(body.question, state))


def _codes(value: str, categories: Any, what: str) -> tuple[str, ...]:
    if not value:
        return ()
    codes = tuple(c.code for c in categories if value in (c.code, c.name))
    if not codes:
        raise ApiError(422, f"未知的{what}“{value}”,可选:{'、'.join(c.name for c in categories)}。")
    return codes


def row_json(r: Record) -> dict[str, Any]:
    """A row in the citation shape of the `ask --json` contract (without its answer-specific `ref`)."""
    data = citation(0, r)
    data.pop("ref")
    data["sheet"], data["page"] = r.sheet, r.page
    return data


def document_json(d: DocumentInfo, documents: list[DocumentInfo]) -> dict[str, Any]:
    """An indexed document (never the server path of its file); `same_period`: the other documents of
    its department and year, kept beside it."""
    same = [o.source for o in documents if d.period is not None and o.period == d.period and o.source != d.source]
    return {"id": d.source, "source": d.source, "department": d.department, "year": d.year, "projects": d.projects,
            "indicators": d.indicators, "repaired": d.repaired, "warnings": list(d.warnings),
            "parse_warnings": [{"line": w.line, "kind": w.kind, "message": w.message, "rows": list(w.rows)}
                               for w in d.parse_warnings],
            "grand_total": d.grand_total, "added_at": d.added_at, "same_period": same}


def upload_json(result: UploadResult) -> dict[str, Any]:
    """What an upload did, one entry per file: `status` added | updated | unchanged | duplicate | error | rejected."""
    files = [{"source": r.source, "status": r.status, "projects": r.projects, "indicators": r.indicators,
              "repaired": r.repaired, "warnings": r.warnings, "reason": error_reason(r) if r.status == "error" else "",
              "note": r.note, "duplicate_of": r.duplicate_of, "same_period": r.same_period, "replaced": r.replaced}
             for r in result.reports]
    files += [{"source": name, "status": "rejected", "projects": 0, "indicators": 0, "repaired": 0, "warnings": [],
               "reason": reason, "note": "", "duplicate_of": "", "same_period": [], "replaced": []}
              for name, reason in result.rejected]
    return {"message": result.message, "files": files}
