"""One cleaning step for every request input, applied before any view runs.

Query parameters, form fields and strings inside JSON bodies lose NUL and the other control
characters (tab and line breaks kept) and lone surrogates; a path part holding a control
character is refused with 400. PostgreSQL cannot store NUL at all (it answered 500 on 18
endpoints) and SQLite would store it silently, so the rule lives here, once, instead of in
each view. ``InvalidInput`` carries a Chinese message to the page or the JSON error body.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property

from citizenvoice.domain.inputs import clean_text, clean_value, has_control_characters

__all__ = ["CleaningRequest", "InvalidInput", "init_app"]


class InvalidInput(BadRequest):
    """400 with a Chinese message shown on the page (or in the API's error body)."""

    def __init__(self, message: str) -> None:
        super().__init__(description=message)
        self.message = message


def _cleaned(values: MultiDict[str, str], storage: type[MultiDict[str, str]]) -> Any:
    if not any(
        has_control_characters(k) or has_control_characters(v) for k, v in values.items(multi=True)
    ):
        return values
    return storage([(clean_text(k), clean_text(v)) for k, v in values.items(multi=True)])


class CleaningRequest(Request):
    """The app's request class: ``args``, ``form`` and ``get_json()`` come back cleaned."""

    @cached_property
    def args(self) -> MultiDict[str, str]:  # type: ignore[override]
        """Query parameters without control characters."""
        return _cleaned(Request.args.__get__(self), self.parameter_storage_class)  # type: ignore[attr-defined]

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The decoded JSON body with every string cleaned (keys included)."""
        # Flask sets ``json_module`` on each request object, so clean the result here instead.
        return clean_value(super().get_json(force=force, silent=silent, cache=cache))

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None:
            self.__dict__["form"] = _cleaned(form, self.parameter_storage_class)


def _refuse_control_characters_in_the_path() -> None:
    # A path part with a control character names nothing this app has; refusing here also
    # keeps it out of every query the view would make.
    if has_control_characters(request.path):
        raise InvalidInput("网址中含有不允许的控制字符")


def init_app(app: Flask) -> None:
    """Install the cleaning request class, the path check and the InvalidInput handler."""
    from citizenvoice.blueprints.errors import api_error

    app.request_class = CleaningRequest
    app.before_request(_refuse_control_characters_in_the_path)

    @app.errorhandler(InvalidInput)
    def _invalid_input(error: InvalidInput) -> Any:
        if request.path == "/api" or request.path.startswith("/api/"):
            return api_error(400, error.message)
        return render_template("errors/error.html", status=400, message=error.message), 400
