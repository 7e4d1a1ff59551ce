"""Strict JSON fields for the request schemas (marshmallow 3), with our errors.

marshmallow's own fields coerce ("1" → 1, "yes" → True) and answer in English. These take
each JSON type as it is, bound every value, and raise the errors of app/api/errors.py:
a wrong JSON type or a missing field is a 400, a refused value a 422. Each field states its
bounds in `metadata` as well, so the OpenAPI document shows them (maxLength, minimum…).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from marshmallow import Schema, ValidationError, fields

from app.api import errors

INT_MAX = 2**31 - 1  # ids and counters are PostgreSQL integers
ID_MAX = INT_MAX


def refuse(error: errors.DomainError) -> ValidationError:
    """A ValidationError carrying our error object (marshmallow keeps it as the message)."""
    return ValidationError([error])


class _Ours:
    """marshmallow's "required" and "null" errors as ours."""

    def make_error(self, key: str, **kwargs):
        if key in ("required", "null"):
            return refuse(errors.FieldMissing())
        if key in ("invalid", "type"):
            return refuse(self.wrong_type())
        return super().make_error(key, **kwargs)

    def wrong_type(self) -> errors.DomainError:
        return errors.BadRequest()


def _meta(metadata: Mapping | None, **doc) -> dict:
    return {**doc, **(metadata or {})}


class Text(_Ours, fields.String):
    """A string of at most `max_length` characters (null counts as absent unless required)."""

    def __init__(self, *, max_length: int, required: bool = False, metadata=None, **kwargs):
        self.max_length = max_length
        super().__init__(
            required=required, allow_none=not required,
            metadata=_meta(metadata, maxLength=max_length), **kwargs,
        )

    def wrong_type(self):
        return errors.MustBeText()

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise refuse(errors.MustBeText())
        if len(value) > self.max_length:
            raise refuse(errors.TooLong(max=self.max_length))
        return value


class WholeNumber(_Ours, fields.Integer):
    """A JSON integer (not a boolean, not a string) from `minimum` to `maximum`."""

    def __init__(self, *, minimum: int = 0, maximum: int = INT_MAX, required: bool = False,
                 metadata=None, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(
            strict=True, required=required, allow_none=not required,
            metadata=_meta(metadata, minimum=minimum, maximum=maximum), **kwargs,
        )

    def wrong_type(self):
        return errors.MustBeWholeNumber()

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(errors.MustBeWholeNumber())
        if not self.minimum <= value <= self.maximum:
            raise refuse(errors.OutOfRange(min=self.minimum, max=self.maximum))
        return value


def Id(**kwargs) -> WholeNumber:
    """A record id: 1 … 2³¹−1 (a larger number names no record; it is refused, not queried)."""
    return WholeNumber(minimum=1, maximum=ID_MAX, **kwargs)


class Flag(_Ours, fields.Boolean):
    """true or false, nothing else."""

    def __init__(self, *, required: bool = False, **kwargs):
        super().__init__(required=required, allow_none=not required, **kwargs)

    def wrong_type(self):
        return errors.MustBeBoolean()

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise refuse(errors.MustBeBoolean())
        return value


class Toggle(_Ours, fields.Field):
    """true/false, or a short text the service reads as one ("1", "on", "yes"…)."""

    def __init__(self, *, metadata=None, **kwargs):
        super().__init__(allow_none=True, metadata=_meta(
            metadata, oneOf=[{"type": "boolean"}, {"type": "string", "maxLength": 10}]), **kwargs)

    def wrong_type(self):
        return errors.MustBeBoolean()

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, str) and len(value) <= 10):
            return value
        raise refuse(errors.MustBeBoolean())


class QueryNumber(_Ours, fields.Integer):
    """A whole number in a query string ("?page=2"), from `minimum` to `maximum`."""

    def __init__(self, *, minimum: int = 1, maximum: int = INT_MAX, metadata=None, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(allow_none=True, metadata=_meta(metadata, minimum=minimum, maximum=maximum),
                         **kwargs)

    def wrong_type(self):
        return errors.MustBeWholeNumber()

    def _deserialize(self, value, attr, data, **kwargs):
        text = value.strip() if isinstance(value, str) else ""
        if not (text.isascii() and text.isdigit()):
            raise refuse(errors.MustBeWholeNumber())
        number = int(text) if len(text) <= 12 else None  # longer: out of any range of ours
        if number is None or not self.minimum <= number <= self.maximum:
            raise refuse(errors.OutOfRange(min=self.minimum, max=self.maximum))
        return number


class IdCsv(_Ours, fields.String):
    """Record ids in a query string, comma-separated ("?ids=1,2,3"); the first `max_items`."""

    def __init__(self, *, max_items: int, metadata=None, **kwargs):
        self.max_items = max_items
        super().__init__(allow_none=True, metadata=_meta(
            metadata, example="1,2,3", description=f"Comma-separated ids (the first {max_items})"),
            **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise refuse(errors.MustBeText())
        if not value.strip():
            return None
        parts = [p.strip() for p in value.split(",", self.max_items)[: self.max_items]]
        ids = []
        for part in filter(None, parts):
            if not (part.isascii() and part.isdigit()) or len(part) > 10 or not 1 <= int(part) <= ID_MAX:
                raise refuse(errors.NotIds(max=ID_MAX))
            ids.append(int(part))
        return ids


class Choice(_Ours, fields.String):
    """One of `choices` (a mapping name → label for the message); anything else is a 422."""

    def __init__(self, choices: Mapping[str, str], *, required: bool = False, metadata=None,
                 **kwargs):
        self.choices = dict(choices)
        super().__init__(
            required=required, allow_none=not required,
            metadata=_meta(metadata, enum=list(self.choices)), **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value in self.choices:
            return value
        shown = value if isinstance(value, (str, int, float)) else type(value).__name__
        raise refuse(errors.NotAChoice(
            value=str(shown)[:40],
            choices="、".join(f"{k}（{v}）" if v else k for k, v in self.choices.items()),
        ))


class NumberOrText(_Ours, fields.Field):
    """A JSON number or a short string, passed on as given (the service reads it)."""

    def __init__(self, *, max_length: int = 40, integer: bool = False, required: bool = False,
                 metadata=None, **kwargs):
        self.max_length, self.integer = max_length, integer
        number = {"type": "integer" if integer else "number"}
        super().__init__(
            required=required, allow_none=not required,
            metadata=_meta(metadata, oneOf=[number, {"type": "string", "maxLength": max_length}]),
            **kwargs,
        )

    def wrong_type(self):
        return errors.MustBeNumberOrText()

    def _deserialize(self, value, attr, data, **kwargs):
        kinds = (int,) if self.integer else (int, float)
        if isinstance(value, str):
            if len(value) > self.max_length:
                raise refuse(errors.TooLong(max=self.max_length))
            return value
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise refuse(errors.MustBeNumberOrText())
        return value


class IdList(_Ours, fields.List):
    """A list of record ids, duplicates dropped, at most `max_items` different ones.

    One linear pass that stops at the first id over the limit: the limit is checked before
    any per-item work, so 80,000 ids are refused as fast as 501.
    """

    def __init__(self, *, max_items: int, required: bool = False, metadata=None, **kwargs):
        self.max_items = max_items
        super().__init__(
            fields.Integer(metadata={"minimum": 1, "maximum": ID_MAX}),
            required=required, allow_none=not required,
            metadata=_meta(metadata, minItems=1, maxItems=max_items), **kwargs,
        )

    def wrong_type(self):
        return errors.MustBeList()

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise refuse(errors.MustBeList())
        if not value:
            raise refuse(errors.Empty())
        ids: dict[int, None] = {}
        for item in value:
            if isinstance(item, str) and item.isascii() and item.isdigit() and len(item) <= 10:
                item = int(item)
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= ID_MAX:
                raise refuse(errors.NotIds(max=ID_MAX))
            ids[item] = None
            if len(ids) > self.max_items:
                raise refuse(errors.TooMany(max=self.max_items))
        return list(ids)


class Values(_Ours, fields.Dict):
    """An object of at most `max_items` entries, keys short strings, values numbers or text."""

    def __init__(self, *, max_items: int, key_length: int = 20, value_length: int = 40,
                 required: bool = False, metadata=None, **kwargs):
        self.max_items, self.key_length = max_items, key_length
        self.value_field = NumberOrText(max_length=value_length)
        super().__init__(
            keys=fields.String(), values=self.value_field,
            required=required, allow_none=not required,
            metadata=_meta(metadata, maxProperties=max_items), **kwargs,
        )

    def wrong_type(self):
        return errors.MustBeObject()

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise refuse(errors.MustBeObject())
        if len(value) > self.max_items:
            raise refuse(errors.TooMany(max=self.max_items))
        problems, clean = {}, {}
        for key, item in value.items():
            try:
                if len(key) > self.key_length:
                    raise refuse(errors.TooLong(max=self.key_length))
                clean[key] = self.value_field.deserialize(item)
            except ValidationError as exc:
                problems[key] = exc.messages
        if problems:
            raise ValidationError(problems)
        return clean


class Object(_Ours, fields.Nested):
    """A nested JSON object read by its own schema."""

    def wrong_type(self):
        return errors.MustBeObject()

    def __init__(self, schema, *, required: bool = False, **kwargs):
        super().__init__(schema, required=required, allow_none=not required, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise refuse(errors.MustBeObject())
        return super()._deserialize(value, attr, data, **kwargs)


def error_paths(messages, prefix: str = "") -> Iterable[tuple[str, object]]:
    """(path, error) for each message of a ValidationError: ``("case_ids", err)``…"""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            yield from error_paths(value, path)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            yield from error_paths(item, prefix)
    else:
        yield prefix, messages


class RequestSchema(Schema):
    """Base of every request schema: unknown keys are ignored (as they always were)."""

    class Meta:
        unknown = "exclude"
