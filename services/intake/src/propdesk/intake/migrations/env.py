from propdesk.common.migrations import run_env
from propdesk.intake.models import SCHEMA, Base

run_env(Base.metadata, SCHEMA)
