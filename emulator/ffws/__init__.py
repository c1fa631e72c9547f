"""The emulated device surface under /ffws/v1, one sub-package per resource of the guide.

Users come first: ``/verify`` is what clients call to probe the box, so it is the first route tried.
"""

from emulator.ffws.users import routes as _users  # noqa: F401, I001
from emulator.ffws.ofax import routes as _ofax  # noqa: F401
from emulator.ffws.about import routes as _about  # noqa: F401
from emulator.ffws.configuration import routes as _configuration  # noqa: F401
from emulator.ffws.contacts import routes as _contacts  # noqa: F401
from emulator.ffws.cover_pages import routes as _cover_pages  # noqa: F401
from emulator.ffws.data import routes as _data  # noqa: F401
from emulator.ffws.groups import routes as _groups  # noqa: F401
from emulator.ffws.logs import routes as _logs  # noqa: F401
from emulator.ffws.status import routes as _status  # noqa: F401
