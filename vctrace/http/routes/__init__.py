"""One module per resource, each exposing ``router`` (an ``APIRouter``); the application
includes every module here whose name does not start with ``_``."""
