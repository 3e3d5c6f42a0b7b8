"""Auth0 Deploy CLI exports: read a connection from one, write one back, check it before a deploy."""

from app.domain.deploy.check import check_connection, configuration_reads, is_stub
from app.domain.deploy.layout import ProjectSide, export_files
from app.domain.deploy.model import DeployConnection, DeployError, DeployScript
from app.domain.deploy.reader import pick, read_export

__all__ = ["DeployConnection", "DeployError", "DeployScript", "ProjectSide", "check_connection",
           "configuration_reads", "export_files", "is_stub", "pick", "read_export"]
