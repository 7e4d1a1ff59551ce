"""FAB's `?q=` schemas checked once, not on every API request.

FAB's `@rison(schema)` decorator (every ModelRestApi get, get_list and _info) calls
`jsonschema.validate(instance, schema)`, which first checks the *schema* against the JSON
Schema metaschema and only then validates the request's arguments: ~5 ms of a 15 ms API
request (issue 14, the API floor), for schemas that are constants of FAB's module. Here
FAB's api module gets a `jsonschema` whose `validate` checks each schema the first time it
sees it and keeps its validator; the arguments are validated as before, with the same
validator class and the same error (`best_match`) raised. Everything else is jsonschema's.
"""

from __future__ import annotations

import jsonschema
from jsonschema import exceptions, validators


class _SchemaCheckedOnce:
    """Stands for the `jsonschema` module inside flask_appbuilder.api."""

    def __init__(self) -> None:
        self._validators: dict[int, object] = {}

    def __getattr__(self, name):
        return getattr(jsonschema, name)

    def validate(self, instance, schema, cls=None, *args, **kwargs):
        if cls is not None or args or kwargs:
            return jsonschema.validate(instance, schema, cls, *args, **kwargs)
        validator = self._validators.get(id(schema))
        if validator is None or validator.schema is not schema:
            validator_class = validators.validator_for(schema)
            validator_class.check_schema(schema)  # raises SchemaError, as jsonschema.validate
            if len(self._validators) > 256:  # FAB's schemas are three constants
                self._validators.clear()
            validator = self._validators[id(schema)] = validator_class(schema)
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
        return None


def install() -> None:
    """Give FAB's api module the schema-checked-once `jsonschema` (idempotent)."""
    import flask_appbuilder.api as fab_api

    if not isinstance(fab_api.jsonschema, _SchemaCheckedOnce):
        fab_api.jsonschema = _SchemaCheckedOnce()
