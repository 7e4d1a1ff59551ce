"""Extension objects that can be shared between apps, initialised in create_app.

The AppBuilder is made per app in create_app (it keeps per-app view state);
reach it as `current_app.appbuilder`.
"""

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate

db = get_sqla_class()()
migrate = Migrate()
