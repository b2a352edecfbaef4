"""One cleaning step for every request input, applied before any view runs.

Query parameters, form fields and strings inside JSON bodies lose NUL and the other control
characters (tab and line breaks kept); a JSON body with a lone surrogate escape (backslash
u d800, which no UTF-8 text can hold) is refused with 400; a path holding a control character
names nothing this app has, so it answers 404 before any view or query runs. PostgreSQL
cannot store NUL at all (it answered 500 on 18 endpoints) and SQLite would store it silently,
so the rule lives here, once, instead of in each view. ``InvalidInput`` carries a Chinese
message to the page or the JSON error body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Request, abort, current_app, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property

from citizenvoice.domain.inputs import (
    clean_text,
    clean_value,
    contains_surrogate,
    has_control_characters,
)

__all__ = ["CleaningRequest", "InvalidInput", "accepts_upload", "init_app"]

F = TypeVar("F", bound=Callable[..., Any])
_UPLOAD_LIMIT = "upload_limit_bytes"


def accepts_upload(
    max_bytes: int, *, anonymous: bool = False, field_bytes: int | None = None
) -> Callable[[F], F]:
    """Let one view read a body of up to ``max_bytes`` (files, or a file carried in a field).

    The app-wide MAX_CONTENT_LENGTH (64 KiB) suits forms of text; an import page needs more.
    The limit is read when the body is parsed, before CSRF or any view code, and applies to
    signed-in users only unless ``anonymous`` (residents' photos: the view reads only image
    parts and is rate limited; then only for a multipart body). ``field_bytes`` keeps each
    non-file field to that size (a field over it answers 413 as before), so only files get
    the larger allowance.
    """

    def mark(view: F) -> F:
        setattr(view, _UPLOAD_LIMIT, (max_bytes, anonymous, field_bytes))
        return view

    return mark


def _declared_upload_limit(endpoint: str | None, *, field: bool = False) -> int | None:
    """The view's larger body limit (or its per-field limit when ``field``), else None.

    CSRF reads the body before the view checks anyone's role, so an anonymous client keeps the
    app-wide 64 KiB unless the view declared ``anonymous``.
    """
    view = current_app.view_functions.get(endpoint or "") if current_app else None
    declared: tuple[int, bool, int | None] | None = getattr(view, _UPLOAD_LIMIT, None)
    if declared is None:
        return None
    max_bytes, anonymous, field_bytes = declared
    if not anonymous and not current_user.is_authenticated:
        return None
    # Files come only in a multipart body: any other body keeps the app-wide limit (a form
    # posted urlencoded is text alone, and 64 KiB is ample for it).
    if anonymous and not request.mimetype.startswith("multipart/"):
        return None
    if field and field_bytes is not None:
        return field_bytes
    return max_bytes


class InvalidInput(BadRequest):
    """400 with a Chinese message shown on the page (or in the API's error body)."""

    def __init__(self, message: str, api_code: str | None = None) -> None:
        super().__init__(description=message)
        self.message = message
        self.api_code = api_code


def _cleaned(
    values: MultiDict[str, str], storage: type[MultiDict[str, str]]
) -> MultiDict[str, str]:
    if not any(
        has_control_characters(k) or has_control_characters(v) for k, v in values.items(multi=True)
    ):
        return values
    return storage([(clean_text(k), clean_text(v)) for k, v in values.items(multi=True)])


class CleaningRequest(Request):
    """The app's request class: ``args``, ``form`` and ``get_json()`` come back cleaned."""

    @property
    def max_content_length(self) -> int | None:
        """The app's body limit, or the larger one the view declared with accepts_upload."""
        declared = _declared_upload_limit(self.endpoint)
        return declared if declared is not None else super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """Werkzeug's per-field limit, raised with the body limit (a file in a hidden field)."""
        declared = _declared_upload_limit(self.endpoint, field=True)
        return declared if declared is not None else super().max_form_memory_size

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """Query parameters without control characters."""
        return _cleaned(super().args, self.parameter_storage_class)

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The decoded JSON body with every string cleaned (keys included).

        Raises InvalidInput (400) for a lone surrogate: cleaning it away would change what the
        client meant, and neither PostgreSQL nor our JSON answers can encode it.
        """
        # Flask sets ``json_module`` on each request object, so clean the result here instead.
        value = super().get_json(force=force, silent=silent, cache=cache)
        if contains_surrogate(value):
            raise InvalidInput("请求体包含无效的字符", api_code="invalid_json")
        return clean_value(value)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None:
            self.__dict__["form"] = _cleaned(form, self.parameter_storage_class)


def _refuse_control_characters_in_the_path() -> None:
    # A path part with a control character names nothing this app has (tracking codes,
    # period codes, ids are all printable); answering 404 here keeps it out of every query.
    if has_control_characters(request.path):
        abort(404)


def init_app(app: Flask) -> None:
    """Install the cleaning request class, the path check and the InvalidInput handler."""
    from citizenvoice.blueprints.errors import api_error

    app.request_class = CleaningRequest
    app.before_request(_refuse_control_characters_in_the_path)

    @app.errorhandler(InvalidInput)
    def _invalid_input(error: InvalidInput) -> Any:
        if request.path == "/api" or request.path.startswith("/api/"):
            return api_error(400, error.message, code=error.api_code)
        return render_template("errors/error.html", status=400, message=error.message), 400
