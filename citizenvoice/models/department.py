"""Departments: the units residents address and the appraisal ranks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import utcnow

__all__ = ["Department"]


class Department(Base):
    """A government department, ranked only within its group (综合管理 / 执法监管 / 公共服务)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Other names residents use for it: short names (住建局), everyday words (城管) and 12345
    # terms for what it handles (环卫, 垃圾). The department picker matches on them.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"
