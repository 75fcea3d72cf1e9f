from propdesk.common.migrations import run_env
from propdesk.identity.models import SCHEMA, Base

run_env(Base.metadata, SCHEMA)
