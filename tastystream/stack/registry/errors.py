"""Typed registry errors, each carrying Confluent's HTTP status and ``error_code``."""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadRequest",
    "IncompatibleSchema",
    "InvalidCompatibilityLevel",
    "InvalidSchema",
    "InvalidSubject",
    "InvalidVersion",
    "ReferenceExists",
    "RegistryError",
    "RequestTooLarge",
    "SchemaNotFound",
    "SchemaTooLarge",
    "StoreError",
    "StoreTimeout",
    "SubjectConfigNotFound",
    "SubjectNotFound",
    "SubjectNotSoftDeleted",
    "SubjectSoftDeleted",
    "VersionNotFound",
    "VersionNotSoftDeleted",
    "VersionSoftDeleted",
]


class RegistryError(Exception):
    """Base of every error the registry answers with ``{"error_code": N, "message": ...}``."""

    status: ClassVar[int] = 500
    error_code: ClassVar[int] = 50001
    retriable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        return {"error_code": self.error_code, "message": self.message}


class BadRequest(RegistryError):
    status = 400
    error_code = 400


class SubjectNotFound(RegistryError):
    status = 404
    error_code = 40401

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' not found.")


class VersionNotFound(RegistryError):
    status = 404
    error_code = 40402

    def __init__(self, subject: str, version: object) -> None:
        super().__init__(f"Version {version} not found for subject '{subject}'.")


class SchemaNotFound(RegistryError):
    status = 404
    error_code = 40403


class SubjectSoftDeleted(RegistryError):
    status = 404
    error_code = 40404

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
        )


class SubjectNotSoftDeleted(RegistryError):
    status = 404
    error_code = 40405

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was not deleted first before being permanently deleted"
        )


class VersionSoftDeleted(RegistryError):
    status = 404
    error_code = 40406

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was soft deleted. "
            "Set permanent=true to delete permanently"
        )


class VersionNotSoftDeleted(RegistryError):
    status = 404
    error_code = 40407

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was not deleted first before being "
            "permanently deleted"
        )


class SubjectConfigNotFound(RegistryError):
    status = 404
    error_code = 40408

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' does not have subject-level compatibility configured"
        )


class IncompatibleSchema(RegistryError):
    status = 409
    error_code = 409

    def __init__(self, messages: list[str]) -> None:
        super().__init__(
            "Schema being registered is incompatible with an earlier schema for subject; "
            + "; ".join(messages)
        )
        self.messages = messages


class InvalidSchema(RegistryError):
    status = 422
    error_code = 42201


class InvalidSubject(RegistryError):
    status = 422
    error_code = 42208


class SchemaTooLarge(RegistryError):
    status = 422
    error_code = 42209


class RequestTooLarge(RegistryError):
    status = 413
    error_code = 413


class InvalidVersion(RegistryError):
    status = 422
    error_code = 42202

    def __init__(self, version: str) -> None:
        super().__init__(
            f"The specified version '{version}' is not a valid version id. Allowed values are "
            'between [1, 2^31-1] and the string "latest"'
        )


class InvalidCompatibilityLevel(RegistryError):
    status = 422
    error_code = 42203

    def __init__(self, level: object) -> None:
        super().__init__(
            f"Invalid compatibility level {level!r}. Valid values are none, backward, forward, "
            "full, backward_transitive, forward_transitive, and full_transitive"
        )


class ReferenceExists(RegistryError):
    status = 422
    error_code = 42206

    def __init__(self, subject: str, version: int, ids: list[int]) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} is referenced by schemas {ids}; "
            "delete those first"
        )


class StoreError(RegistryError):
    status = 500
    error_code = 50001
    retriable = True


class StoreTimeout(RegistryError):
    status = 500
    error_code = 50002
    retriable = True
