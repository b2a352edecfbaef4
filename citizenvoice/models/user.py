"""Staff accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.domain.accounts import Role
from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow
from citizenvoice.models.department import Department

__all__ = ["User"]


class User(Base):
    """A staff member who signs in; ``session_token`` changes at every login and logout."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the id Flask-Login keeps in the session: a new token ends every older session.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department: Mapped[Department | None] = relationship()

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        """Every loaded user is authenticated."""
        return True

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot sign in or stay signed in."""
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous."""
        return False

    def get_id(self) -> str:
        """The session id: user id and the current session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def role_enum(self) -> Role:
        """The role as an enum."""
        return Role(self.role)
