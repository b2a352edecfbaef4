"""The performance office's pages: queue monitor, routing, appraisal, rectification."""

from citizenvoice.blueprints.office.views import office_blueprint

__all__ = ["office_blueprint"]
from citizenvoice.blueprints.office import appraisal as _appraisal  # noqa: F401  (registers routes)
from citizenvoice.blueprints.office import drift as _drift  # noqa: F401  (registers routes)
from citizenvoice.blueprints.office import models_page as _models_page  # noqa: F401  (routes)
from citizenvoice.blueprints.office import notifications as _notifications  # noqa: F401  (routes)
from citizenvoice.blueprints.office import rectification as _rectification  # noqa: F401  (routes)
from citizenvoice.blueprints.office import rectification_sheet as _sheet  # noqa: F401  (routes)
from citizenvoice.blueprints.office import survey_comments as _comments  # noqa: F401  (routes)
from citizenvoice.blueprints.office import survey_edit as _survey_edit  # noqa: F401  (routes)
from citizenvoice.blueprints.office import survey_priorities as _priorities  # noqa: F401  (routes)
from citizenvoice.blueprints.office import surveys as _surveys  # noqa: F401  (routes)
from citizenvoice.blueprints.office import taxonomy_page as _taxonomy  # noqa: F401  (routes)
