from propdesk.billing.models import SCHEMA, Base
from propdesk.common.migrations import run_env

run_env(Base.metadata, SCHEMA)
