"""OpenAPI for our endpoints: `@documented` writes FAB's docstring YAML from a few facts.

FAB reads the YAML after ``---`` in an exposed method's docstring (its own ModelRestApi
methods are written out by hand). Ours all say the same things — a summary, the request
schema, the answer schema, which refusals — so this decorator writes it:

    @expose("/<int:pk>/urge", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Urge a case (催办)", body=UrgeRequestSchema,
                answer=(201, HistoryEntrySchema, "result"), refusals=(400, 403, 404, 409, 422))
    def urge(self, pk): ...

It must be the innermost decorator (the others copy the docstring). Path parameters come
from the method's arguments (ids: integers). The schemas must be in the API's
`openapi_spec_component_schemas`; refusals refer to app/api/base.py RESPONSES.
"""

from __future__ import annotations

import inspect

import yaml

REFUSALS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
    413: "TooLarge", 422: "Unprocessable", 503: "Unavailable",
}


def component(schema) -> str:
    """The component name FAB gives a schema of `openapi_spec_component_schemas`."""
    return getattr(schema, "__component_name__", schema.__name__)


def ref(schema) -> dict:
    return {"$ref": f"#/components/schemas/{component(schema)}"}


def _answer_schema(answer) -> dict:
    """(status, Schema | None | {key: Schema}, key | None, many) → the answer body's schema."""
    _, schema, key, many = (*answer, False, False, False)[:4]
    if isinstance(schema, dict):
        return {"type": "object", "properties": {k: ref(v) for k, v in schema.items()}}
    inner = ref(schema) if schema is not None else {"type": "object"}
    if many:
        inner = {"type": "array", "items": inner}
    if key:
        return {"type": "object", "properties": {key: inner}}
    return inner


def _path_schema(name: str) -> dict:
    """Ids are integers; a `period_key` is a report period (2024-06-D2, 2024-06)."""
    if name == "period_key":
        return {"type": "string", "maxLength": 20, "example": "2024-06-D2"}
    return {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def operation(summary: str, *, description: str | None = None, body=None, form=None,
              answer=(200, None), refusals=(401, 403, 404), query=None,
              media: str = "application/json", path_params=()) -> dict:
    """One OpenAPI operation object."""
    spec: dict = {"summary": summary, "description": description or summary}
    params = [{"in": "path", "name": name, "required": True, "schema": _path_schema(name)}
              for name in path_params]
    if query is not None:
        params.extend(query_params(query))
    if params:
        spec["parameters"] = params
    if body is not None or form is not None:
        content = {}
        if body is not None:
            content["application/json"] = {"schema": ref(body)}
        if form is not None:
            content["multipart/form-data"] = {"schema": ref(form)}
        spec["requestBody"] = {"required": True, "content": content}
    status = answer[0]
    if media == "application/json":
        ok = {"description": "Done", "content": {media: {"schema": _answer_schema(answer)}}}
    else:
        ok = {"description": "The file", "content": {media: {"schema": {"type": "string", "format": "binary"}}}}
    spec["responses"] = {str(status): ok, "401": {"$ref": "#/components/responses/Unauthorized"}}
    for code in refusals:
        spec["responses"][str(code)] = {"$ref": f"#/components/responses/{REFUSALS[code]}"}
    return spec


def documented(verb: str, summary: str, **facts):
    """Append the operation's YAML to the method's docstring (FAB puts it in the spec)."""

    def decorate(f):
        names = [p for p in inspect.signature(f).parameters if p != "self"]
        head = (f.__doc__ or summary).strip()
        facts.setdefault("description", head)
        spec = operation(summary, path_params=names, **facts)
        f.__doc__ = f"{head}\n---\n" + yaml.safe_dump({verb: spec}, allow_unicode=True, sort_keys=False)
        return f

    return decorate


def query_params(schema) -> list[dict]:
    """Query parameters for a query schema, one per field (documented types only)."""
    out = []
    for name, field in schema().fields.items():
        meta = {k: v for k, v in field.metadata.items() if k != "description"}
        out.append({"in": "query", "name": name, "required": False,
                    "description": field.metadata.get("description", name),
                    "schema": {"type": "string", **meta} if "minimum" not in meta
                    else {"type": "integer", **meta}})
    return out


def summarise_fab_apis(apis) -> None:
    """Give FAB's own APIs (security, menu, _openapi) a summary: their docstring's first line.

    FAB documents them with a description only; the OpenAPI document of ours gives every
    operation a summary.
    """
    for api in apis:
        methods = dict(api.openapi_spec_methods or {})
        for name in dir(api):
            handler = getattr(api, name, None)
            urls = getattr(handler, "_urls", None)
            if not urls or name in methods:
                continue
            summary = _first_line(handler.__doc__) or name.replace("_", " ").capitalize()
            methods[name] = {verb.lower(): {"summary": summary}
                             for _, verbs in urls for verb in verbs}
        api.openapi_spec_methods = methods


def _first_line(doc: str | None) -> str:
    text = (doc or "").split("---")[0].strip()
    return " ".join(text.splitlines()[0].split()) if text else ""
