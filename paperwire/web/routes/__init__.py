"""Route modules: each one that defines ``router: APIRouter`` is included by ``create_app``."""
