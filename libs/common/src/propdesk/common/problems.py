"""Errors as RFC 9457 problem+json in zh-CN and en, for everything a request can go wrong with, and the OpenAPI
document that says so: every operation lists the problems it can answer with.

No input yields a 500: a domain error carries its status; a request that does not validate is 422 (with each
field's error, in the caller's language); a value the database cannot take (out of range, not a date) is 422;
a conflict with existing data is 409 and a missing referenced record 422, neither naming the database's
constraints; an unreachable database is 503. Only a bug is a 500, and its body says nothing but its
correlation id.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from propdesk.common import outages
from propdesk.common.errors import DomainError
from propdesk.common.events import current_context
from propdesk.common.i18n import Text, negotiate
from propdesk.common.logging import get_logger

log = get_logger("propdesk.problems")

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://propdesk.dev/problems/"

STATUS_TITLES = {
    400: Text("请求无效", "Bad request"),
    401: Text("未认证", "Not authenticated"),
    403: Text("无权执行此操作", "Forbidden"),
    404: Text("资源不存在", "Not found"),
    405: Text("不支持的请求方法", "Method not allowed"),
    409: Text("与当前状态冲突", "Conflict"),
    413: Text("请求内容过大", "Request body too large"),
    415: Text("不支持的媒体类型", "Unsupported media type"),
    422: Text("请求参数校验失败", "Validation failed"),
    429: Text("请求过于频繁", "Too many requests"),
    500: Text("服务器内部错误", "Internal server error"),
    503: Text("服务暂不可用", "Service unavailable"),
}


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: Text,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    lang = negotiate(request.headers.get("accept-language"))
    body = {
        "type": PROBLEM_BASE + code,
        "title": title.get(lang),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "titles": title.as_dict(),
        "correlation_id": current_context().correlation_id,
        **extra,
    }
    return JSONResponse(
        jsonable_encoder(body),
        status_code=status,
        media_type=PROBLEM,
        headers={"Content-Language": lang, **(headers or {})},
    )


# pydantic's error types, said in Chinese (the English is pydantic's own message)
_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "datetime_parsing": "应为时间（ISO 8601）",
    "datetime_from_date_parsing": "应为时间（ISO 8601）",
    "timezone_aware": "时间须带时区",
    "time_parsing": "应为时刻 HH:MM",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "literal_error": "不在允许的取值中",
    "enum": "不在允许的取值中",
    "list_type": "应为列表",
    "too_short": "项数过少",
    "too_long": "项数过多",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值无效",
    "decimal_max_digits": "位数过多",
    "decimal_max_places": "小数位数过多",
}


# The names a receptionist sees for the fields of the forms (zh-CN); a field not listed keeps its own name.
FIELD_ZH = {
    "estate_id": "小区",
    "unit_id": "房屋",
    "unit_ids": "房屋",
    "building_id": "楼栋",
    "building_ids": "楼栋",
    "place_id": "地点",
    "resident_id": "住户",
    "staff_id": "员工",
    "assignee_id": "经办人",
    "technician_id": "维修工",
    "work_order_id": "工单",
    "invoice_ids": "账单",
    "payment_id": "收款",
    "call_id": "来电",
    "renovation_id": "装修",
    "name": "姓名/名称",
    "phone": "电话",
    "email": "电子邮箱",
    "address": "地址",
    "language": "语言",
    "id_number": "身份证号",
    "password": "密码",
    "login": "登录名",
    "code": "编码",
    "kind": "类型",
    "type": "类型",
    "category": "类别",
    "problem": "问题",
    "urgency": "紧急程度",
    "priority": "优先级",
    "severity": "严重程度",
    "description": "描述",
    "note": "备注",
    "notes": "备注",
    "reason": "原因",
    "comment": "意见",
    "memo": "摘要",
    "subject": "主题",
    "title": "标题",
    "body": "正文",
    "text": "内容",
    "detail": "详情",
    "location": "位置",
    "floor": "楼层",
    "floors": "楼层",
    "area_m2": "面积（平方米）",
    "number": "编号",
    "reference": "参考号",
    "amount_fen": "金额（分）",
    "price_fen": "价格（分）",
    "refund_fen": "退款（分）",
    "deposit_fen": "押金（分）",
    "rate": "费率",
    "quantity": "数量",
    "channel": "方式",
    "period": "账期",
    "basis": "计费方式",
    "meter": "表计",
    "reading": "读数",
    "read_on": "抄表日期",
    "due_on": "到期日",
    "due_at": "期限",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "scheduled_at": "预约时间",
    "preferred_from": "期望开始",
    "preferred_to": "期望结束",
    "planned_start": "计划开工",
    "planned_end": "计划完工",
    "effective_from": "生效日期",
    "effective_to": "失效日期",
    "handed_over_on": "交房日期",
    "moved_out_on": "搬出日期",
    "role": "角色",
    "roles": "角色",
    "department": "部门",
    "skills": "技能",
    "source": "来源",
    "status": "状态",
    "state": "状态",
    "action": "操作",
    "score": "评分",
    "outcome": "结果",
    "resolution": "处理结果",
    "photos": "照片",
    "items": "项目",
    "checklist": "检查表",
    "keys": "钥匙",
    "keys_returned": "交回钥匙",
    "meter_readings": "抄表读数",
    "visitor_name": "访客姓名",
    "visitor_phone": "访客电话",
    "contractor_name": "施工单位",
    "contractor_phone": "施工单位电话",
    "reporter_name": "报告人",
    "reporter_phone": "报告人电话",
    "playbook": "应急预案",
    "drill": "演练",
    "key": "键",
    "timezone": "时区",
    "purpose": "用途",
    "unit_kind": "房屋类型",
    "labour_minutes": "工时（分钟）",
}


def _field(loc: list) -> str:
    names = [str(x) for x in loc if isinstance(x, str) and x not in ("body", "query", "path", "header")]
    return names[-1] if names else ".".join(map(str, loc))


def validation_errors(exc: RequestValidationError, lang: str) -> list[dict[str, Any]]:
    """Each error with where it is (`loc`), what is wrong (`msg`, in the caller's language) and the field's
    name as a form shows it (`field`: 类别 rather than body.category for zh-CN)."""
    out = []
    for err in exc.errors():
        msg = err.get("msg") or ""
        loc = list(err.get("loc", ()))
        field = _field(loc)
        if lang == "zh-CN":
            if err.get("type") in _ZH:
                msg = f"{_ZH[err['type']]}（{msg}）" if msg else _ZH[err["type"]]
            field = FIELD_ZH.get(field, field)
        out.append({"loc": loc, "field": field, "msg": msg, "type": err.get("type")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, exc: DomainError) -> JSONResponse:
        lang = negotiate(request.headers.get("accept-language"))
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail_for(lang),
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc, negotiate(request.headers.get("accept-language")))
        zh = negotiate(request.headers.get("accept-language")) == "zh-CN"
        summary = ("；" if zh else "; ").join(
            f"{e['field']}{'：' if zh else ': '}{e['msg']}" for e in errors[:5]
        )
        return problem_response(
            request,
            status=422,
            code="validation-failed",
            title=STATUS_TITLES[422],
            detail=summary,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = STATUS_TITLES.get(exc.status_code, Text("请求失败", "Request failed"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request, status=exc.status_code, code=f"http-{exc.status_code}", title=title, detail=detail
        )

    @app.exception_handler(IntegrityError)
    async def on_integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        state = outages.sqlstate(exc)
        log.info("db.integrity_error", sqlstate=state, error=str(exc.orig)[:300])
        if state == "23505":  # unique
            return problem_response(
                request,
                status=409,
                code="conflict",
                title=Text("与已有数据冲突", "Conflicts with existing data"),
                detail="a record with the same values exists already",
            )
        return problem_response(  # a reference to a record that is not there, a missing or invalid value
            request,
            status=422,
            code="invalid-reference",
            title=Text(
                "引用的记录不存在或数据无效", "A referenced record does not exist, or a value is invalid"
            ),
        )

    def unavailable(request: Request, exc: BaseException) -> JSONResponse:
        log.warning("db.unavailable", error=repr(exc)[:300])
        return problem_response(
            request,
            status=503,
            code="database-unavailable",
            title=STATUS_TITLES[503],
            headers={"Retry-After": str(outages.RETRY_AFTER_SECONDS)},
        )

    async def on_raw(request: Request, exc: Exception) -> JSONResponse:
        """Errors raised unwrapped while a connection is made (refused, reset, "starting up", a pool timeout):
        handled here, not as a crash, so the client's connection stays usable."""
        if outages.is_unavailable(exc):
            return unavailable(request, exc)
        log.error("http.unhandled", path=request.url.path, error=repr(exc)[:300])
        return problem_response(request, status=500, code="internal", title=STATUS_TITLES[500])

    for kind in outages.RAW:
        app.add_exception_handler(kind, on_raw)

    @app.exception_handler(DBAPIError)
    async def on_dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        if outages.is_unavailable(exc):
            return unavailable(request, exc)
        state = outages.sqlstate(exc)
        if state.startswith("22"):  # data exception: a number out of range, a date PostgreSQL cannot hold
            log.info("db.data_exception", sqlstate=state, error=str(exc.orig)[:300])
            return problem_response(
                request,
                status=422,
                code="value-out-of-range",
                title=Text("数值超出范围或格式无效", "A value is out of range or not valid"),
            )
        log.error("db.error", sqlstate=state, error=str(exc.orig)[:300])
        return problem_response(request, status=500, code="internal", title=STATUS_TITLES[500])

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", path=request.url.path)
        return problem_response(request, status=500, code="internal", title=STATUS_TITLES[500])


# ---------------------------------------------------------------- the OpenAPI document tells the truth

PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details, in the caller's language (Accept-Language: zh-CN or en)",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "a stable URI per kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": ["string", "null"]},
        "instance": {"type": "string"},
        "titles": {"type": "object", "additionalProperties": {"type": "string"}},
        "correlation_id": {"type": ["string", "null"]},
        "errors": {
            "type": "array",
            "description": "validation failures (422): where, what, of which type",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "field": {"type": "string", "description": "the field's name as a form shows it"},
                    "msg": {"type": "string"},
                    "type": {"type": ["string", "null"]},
                },
            },
        },
    },
    "additionalProperties": True,
}
DESCRIPTIONS = {
    400: "The body cannot be parsed (not JSON)",
    401: "No valid bearer token",
    403: "The token's roles or estates do not allow it",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state or existing data",
    413: "The body is larger than this operation takes",
    415: "The file is not of a type this operation reads",
    422: "The request does not validate, or names something it may not",
    429: "Too many requests; retry after the Retry-After header's seconds",
    503: "A dependency (the database) is unavailable; retry after Retry-After",
}


def problem_responses(
    *, authenticated: bool, path_params: bool, body: bool, changes: bool, raw_body: bool = False
) -> list[int]:
    """The problems one operation can answer with."""
    codes = [404, 429, 503]  # 404: what the path, the query or the body names, or the caller, is not known
    if authenticated:
        codes += [401, 403]
    if changes:
        codes.append(409)
    if body or raw_body:
        codes += [400, 413]  # 400: a body that is not JSON at all
    if raw_body:
        codes.append(415)
    codes.append(422)
    return sorted(set(codes))


def document_problems(schema: dict[str, Any], operations: dict[tuple[str, str], dict[str, bool]]) -> dict:
    """Add the problems each operation can answer with (as application/problem+json) to an OpenAPI document;
    `operations` maps (METHOD, path) to what the operation takes. FastAPI's own 422 (HTTPValidationError, as
    application/json) is replaced: the services answer problem+json."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            facts = operations.get((method.upper(), path))
            if facts is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in problem_responses(**facts):
                if str(code) in responses and code != 422:
                    # the operation says what it answers with (the token endpoint: RFC 6749 errors); a body
                    # that cannot be parsed at all is still answered by the common handler, as problem+json
                    content = responses[str(code)].setdefault("content", {})
                    content.setdefault(PROBLEM, {"schema": {"$ref": "#/components/schemas/Problem"}})
                    continue
                responses[str(code)] = {
                    "description": DESCRIPTIONS[code],
                    "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    return schema
