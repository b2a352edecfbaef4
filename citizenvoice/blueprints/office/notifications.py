"""Office page for messages to residents: delivery per channel and step, opt-outs, queue time.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.views import OFFICE_ROLES, office_blueprint
from citizenvoice.services.notification_report import STATUSES, delivery_report

__all__: list[str] = []  # routes only: they register on office_blueprint

CHANNEL_LABELS = {"sms": "短信", "email": "电子邮件"}
EVENT_LABELS = {
    "accepted": "受理",
    "returned": "退回补充材料",
    "extended": "延期",
    "replied": "答复（附回访链接）",
    "closed": "办结",
}
STATUS_LABELS = {"sent": "已发送", "queued": "待发送", "retried": "重试中", "failed": "失败"}


@office_blueprint.get("/notifications")
@role_required(*OFFICE_ROLES)
def notifications_page() -> Any:
    """Delivery figures: what reached residents, what waits, what failed, and how fast."""
    return render_template(
        "office/notifications.html",
        report=delivery_report(),
        statuses=STATUSES,
        channel_labels=CHANNEL_LABELS,
        event_labels=EVENT_LABELS,
        status_labels=STATUS_LABELS,
    )
